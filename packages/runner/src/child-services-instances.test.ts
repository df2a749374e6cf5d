/**
 * `up --instances track=2,ingest=2` (real nats-server, real service processes): two processes of each, each
 * with its own instance ID (FACETRACKER_INSTANCE), log file and metrics label; the cameras split between
 * them by their leases; one SIGKILLed comes back under the same instance ID and renews its own leases.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Bus, CAMERA_LEASES_BUCKET, connectBus, desiredOwner, INSTANCES_BUCKET } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { serviceSpec } from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { testVideo } from "@facetracker/testing/media";
import type { PipelineLogEntry } from "./pipeline-log.ts";
import { serviceInstanceId } from "./service-instances.ts";
import { type FaceTrackingPipeline, startPipeline } from "./start-pipeline.ts";

const SERVICES = ["ingest", "track"] as const;
/** Several alert instances, each with its own notification state, once the catalog allows them. */
const alertsMany = serviceSpec("alert").instances === "many";

const pidOf = (pipeline: FaceTrackingPipeline, id: string): number | undefined => {
  const line = pipeline.describe().find((l) => l.startsWith(`service ${id} pid `));
  return line ? Number(/ pid (\d+)/.exec(line)?.[1]) : undefined;
};

/** A variable of a process's environment (/proc, Linux). */
const envOf = (pid: number, name: string): string | undefined =>
  readFileSync(`/proc/${pid}/environ`, "utf8")
    .split("\0")
    .find((v) => v.startsWith(`${name}=`))
    ?.slice(name.length + 1);
const instanceOf = (pid: number) => envOf(pid, "FACETRACKER_INSTANCE");

describe("up's per-camera services as two instances each (real nats-server and services)", () => {
  let dataDir: string;
  let nats: NatsTestServer;
  let observer: Bus;
  let pipeline: FaceTrackingPipeline;
  const logs: PipelineLogEntry[] = [];
  const members = Object.fromEntries(
    SERVICES.map((s) => [s, [serviceInstanceId(s, 1), serviceInstanceId(s, 2)]]),
  ) as Record<(typeof SERVICES)[number], string[]>;
  /** Cameras such that each instance of each service should own at least one (rendezvous hashing). */
  const cameras: string[] = [];
  for (
    let i = 1;
    SERVICES.some((s) => members[s].some((m) => !cameras.some((c) => desiredOwner(c, members[s]) === m)));
    i++
  ) {
    cameras.push(`cam${i}`);
  }

  /** The last value of a key of a KV bucket, with its stream sequence (undefined: none, or deleted). */
  const entry = async (bucket: string, key: string) => {
    try {
      const stored = await observer.jsm.streams.getMessage(`KV_${bucket}`, {
        last_by_subj: `$KV.${bucket}.${key}`,
      });
      if (!stored || stored.data.length === 0) return undefined;
      return { seq: stored.seq, value: stored.json() as { instance?: string } };
    } catch {
      return undefined;
    }
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ft-child-instances-"));
    nats = await startNatsServer();
    observer = await connectBus({ servers: [nats.url], name: "instances-test" });
    const video = await testVideo(path.join(dataDir, "camera.mp4"), { seconds: 2, fps: 10 });
    const config = parseConfig({
      db_path: path.join(dataDir, "gallery"),
      cameras: cameras.map((id) => ({ id, url: video, loop: true })),
      api: { port: 0, http_port: 0 },
    });
    pipeline = await startPipeline({
      config,
      dataDir,
      natsUrl: nats.url,
      instances: { track: 2, ingest: 2, ...(alertsMany ? { alert: 2 } : {}) },
      onLog: (e) => logs.push(e),
    });
  });
  after(async () => {
    await pipeline?.stop();
    await observer?.close();
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("starts two processes of each, with their own instance IDs, logs and metrics; the cameras split between them", async () => {
    const described = pipeline.describe().join("\n");
    for (const service of SERVICES) {
      assert.equal(pidOf(pipeline, service), undefined, `no single ${service}:\n${described}`);
      const pids = [1, 2].map((i) => pidOf(pipeline, `${service}-${i}`));
      assert.ok(pids.every((pid) => pid !== undefined) && pids[0] !== pids[1], described);
      assert.deepEqual(
        pids.map((pid) => instanceOf(pid as number)),
        members[service],
        `${service}'s instances run as ${members[service].join(", ")}`,
      );
      for (const [i, id] of members[service].entries()) {
        assert.match(described, new RegExp(`service ${service}-${i + 1} pid \\d+ \\(instance ${id}\\)`));
      }
    }
    await waitFor(
      async () => {
        for (const service of SERVICES) {
          for (const id of members[service]) {
            if (!(await entry(INSTANCES_BUCKET, `${service}.${id}`))) return false;
          }
          for (const camera of cameras) {
            const lease = await entry(CAMERA_LEASES_BUCKET, `${service}.${camera}`);
            if (lease?.value.instance !== desiredOwner(camera, members[service])) return false;
          }
        }
        return true;
      },
      `every camera leased to its rightful instance (${cameras.join(", ")})`,
      60_000,
    );
    for (const service of SERVICES) {
      const owners = new Set(cameras.map((c) => desiredOwner(c, members[service])));
      assert.equal(owners.size, 2, `both ${service} instances own cameras`);
    }
    const metrics = await pipeline.allMetrics();
    for (const id of ["ingest-1", "ingest-2", "track-1", "track-2"]) {
      const [service, worker] = id.split("-") as [string, string];
      assert.match(
        metrics,
        new RegExp(`facetracker_scrape_up\\{service="${service}",worker="${worker}"\\} 1`),
      );
      assert.ok(existsSync(path.join(dataDir, "logs", `${id}.log`)), `${id}.log`);
    }
    const { ready, checks } = await pipeline.readiness();
    assert.ok(ready, JSON.stringify(checks));
  });

  it("gives each alert instance its own notification state under the data directory's", {
    skip: !alertsMany,
  }, () => {
    const paths = [1, 2].map((i) => {
      const pid = pidOf(pipeline, `alert-${i}`) as number;
      assert.ok(pid, pipeline.describe().join("\n"));
      return envOf(pid, "FACETRACKER_ALERTS__NOTIFICATION_STATE_PATH");
    });
    assert.deepEqual(
      paths,
      [1, 2].map((i) => JSON.stringify(path.join(dataDir, "notify-state", serviceInstanceId("alert", i)))),
    );
  });

  it("an instance SIGKILLed runs again under its instance ID and renews its own leases", async () => {
    const victim = members.track[1] as string;
    const camera = cameras.find((c) => desiredOwner(c, members.track) === victim) as string;
    const first = pidOf(pipeline, "track-2") as number;
    const before = await entry(CAMERA_LEASES_BUCKET, `track.${camera}`);
    assert.equal(before?.value.instance, victim);
    process.kill(first, "SIGKILL");
    await waitFor(
      async () => {
        const pid = pidOf(pipeline, "track-2");
        return pid !== undefined && pid !== first && (await pipeline.readiness()).checks["track-2"] === true;
      },
      "track-2 to run again",
      90_000,
    );
    assert.equal(instanceOf(pidOf(pipeline, "track-2") as number), victim);
    // A renewal after the kill, by the one live process with that ID: the restarted one.
    await waitFor(
      async () => {
        const now = await entry(CAMERA_LEASES_BUCKET, `track.${camera}`);
        return now !== undefined && now.seq > (before?.seq ?? 0) && now.value.instance === victim;
      },
      `${camera}'s lease renewed by ${victim}`,
      60_000,
    );
    assert.ok(
      logs.some((l) => /service track-2 exited/.test(l.message)),
      logs.map((l) => l.message).join("\n"),
    );
  });
});
