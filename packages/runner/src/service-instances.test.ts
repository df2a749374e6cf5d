import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { loadConfig, parseConfig } from "@facetracker/config";
import { SERVICE_NAMES, serviceSpec } from "@facetracker/service-host";
import {
  ownStateEnv,
  parseServiceInstances,
  resolveServiceInstances,
  serviceInstanceId,
  servicesRunAsMany,
} from "./service-instances.ts";

describe("service instances (up --instances)", () => {
  it("reads SERVICE=N,… and refuses anything else", () => {
    assert.deepEqual(parseServiceInstances("track=2, ingest=3"), { track: 2, ingest: 3 });
    assert.throws(() => parseServiceInstances("alert=x"), /expected SERVICE=N.*got 'alert=x'/);
    assert.throws(() => parseServiceInstances("track"), /got 'track'/);
    assert.throws(() => parseServiceInstances(""), /got ''/);
    assert.throws(() => parseServiceInstances("track=2,track=3"), /track is given twice/);
  });

  it("counts every service, several only of one the catalog marks 'many'; embedWorkers is embed's", () => {
    const all = resolveServiceInstances({ track: 2 });
    assert.deepEqual(Object.keys(all), [...SERVICE_NAMES]);
    assert.equal(all.track, 2);
    assert.equal(all.api, 1);
    assert.equal(resolveServiceInstances({}, 3).embed, 3);
    assert.equal(resolveServiceInstances({ embed: 3 }, 3).embed, 3);
    assert.throws(
      () => resolveServiceInstances({ embed: 2 }, 3),
      /embedWorkers \(3\) and instances.embed \(2\)/,
    );
    assert.throws(() => resolveServiceInstances({ api: 2 }), /^RangeError: api runs as one instance only/);
    assert.throws(() => resolveServiceInstances({ camera: 2 }), /no service 'camera'/);
    assert.throws(() => resolveServiceInstances({ track: 0 }), /track: expected a whole number from 1 to 64/);
    assert.throws(() => resolveServiceInstances({ track: 1.5 }), /got 1.5/);
    // One of a service marked "one" is fine; the list of those that may be several follows the catalog.
    assert.equal(resolveServiceInstances({ api: 1 }).api, 1);
    assert.deepEqual(
      servicesRunAsMany(),
      SERVICE_NAMES.filter((n) => serviceSpec(n).instances === "many"),
    );
    assert.ok(servicesRunAsMany().includes("track") && !servicesRunAsMany().includes("api"));
  });

  it("names instance i of a service <hostname>-<service>-<i>, whatever this process's FACETRACKER_INSTANCE", () => {
    const host = os.hostname().replace(/[^A-Za-z0-9_-]/g, "_");
    assert.equal(serviceInstanceId("track", 2), `${host}-track-2`);
  });

  it("gives an alert or clip-recorder instance its own state under the configured path, on top of the file it loads", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ft-instances-"));
    try {
      const config = parseConfig({
        alerts: { notification_state_path: path.join(dir, "notify #1") },
        storage: { spool_path: path.join(dir, "spool") },
      });
      const file = path.join(dir, "config.json");
      await writeFile(file, JSON.stringify(config));
      const alertEnv = ownStateEnv(config, "alert", "box-alert-2");
      const clipEnv = ownStateEnv(config, "clip-recorder", "box-clip-recorder-2");
      // What the child loads: its FACETRACKER_CONFIG file, then the environment over it.
      const asChild = (env: Record<string, string>) =>
        loadConfig({ env: { FACETRACKER_CONFIG: file, ...env } });
      assert.equal(
        asChild(alertEnv).alerts.notification_state_path,
        path.join(dir, "notify #1", "box-alert-2"),
      );
      assert.equal(asChild(alertEnv).storage.spool_path, path.join(dir, "spool"));
      assert.equal(asChild(clipEnv).storage.spool_path, path.join(dir, "spool", "box-clip-recorder-2"));
      assert.deepEqual(ownStateEnv(config, "track", "box-track-2"), {});
      // A path with the placeholder is the service's to fill in.
      const placeholder = parseConfig({
        alerts: { notification_state_path: "/var/lib/ft/{instance}/notify" },
        storage: { spool_path: "/var/lib/ft/spool-{instance}" },
      });
      assert.deepEqual(ownStateEnv(placeholder, "alert", "box-alert-2"), {});
      assert.deepEqual(ownStateEnv(placeholder, "clip-recorder", "box-clip-recorder-2"), {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
