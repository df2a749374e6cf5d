import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { waitFor } from "@facetracker/testing";
import { repoRoot, runCli } from "./helpers/run-cli.ts";

function natsServersUsing(dir: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", "nats-server"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(dir));
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const servicePids = (out: string) =>
  [...out.matchAll(/up: service (\S+) pid (\d+)/g)].map((m) => Number(m[2]));

describe("facetracker up (embedded run: own nats-server, each service a process)", () => {
  it("watches the demo camera, prints track events and alerts, and stops cleanly when the video ends", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-up-"));
    try {
      const { code, out, err } = await runCli(
        ["up", "--data", dir, "--db", path.join(dir, "gallery"), "--exit-when-done"],
        180_000,
        { NATS_URL: "" },
      );
      assert.equal(code, 0, err);
      assert.match(out, /up: started nats-server nats:\/\/127\.0\.0\.1:\d+/);
      const pids = servicePids(out);
      assert.equal(
        pids.length,
        9,
        `api, web, embed, alert, clip-recorder, track, detect, restream and ingest started:\n${out}`,
      );
      assert.match(out, /up: web page http:\/\/127\.0\.0\.1:\d+\//);
      assert.match(
        out,
        /up: gRPC API 127\.0\.0\.1:\d+, health http:\/\/127\.0\.0\.1:\d+\/healthz, metrics http:\/\/127\.0\.0\.1:\d+\/metrics/,
      );
      assert.match(out, /track {2}demo #1 confirmed unknown/);
      assert.match(out, /ALERT {2}demo #1: unknown (face|visitor #\d+, first visit) at .* \[ON_UNKNOWNS\]/);
      assert.ok(
        (out.match(/ALERT {2}demo #\d+/g) ?? []).length >= 3,
        `the three people of the demo video alert:\n${out}\n${err}`,
      );
      assert.match(out, /CLIP {3}demo demo-1-\d+: file:\/\/.*\.mp4/);
      assert.match(out, /up: stopping/);
      const clips = (await readdir(path.join(dir, "clips"), { recursive: true })).filter((f) =>
        f.endsWith(".mp4"),
      );
      assert.equal(clips.length, 3, `a clip per alert in DATA/clips: ${clips}`);
      assert.deepEqual(natsServersUsing(dir), [], "no nats-server left running");
      assert.deepEqual(pids.filter(alive), [], "no service process left running");
      // Each service's JSON log in DATA/logs, read back by `facetracker logs`.
      assert.match(
        out,
        /up: services' logs in .*logs \('facetracker logs --data .* \[SERVICE\] \[-f\]' reads them\)/,
      );
      assert.deepEqual((await readdir(path.join(dir, "logs"))).sort(), [
        "alert.log",
        "api.log",
        "clip-recorder.log",
        "detect.log",
        "embed.log",
        "ingest.log",
        "restream.log",
        "track.log",
        "web.log",
      ]);
      const ingestLog = await runCli(["logs", "--data", dir, "--json", "ingest"]);
      assert.equal(ingestLog.code, 0, ingestLog.err);
      const records = ingestLog.out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { service: string; msg: string; camera?: string });
      assert.ok(records.every((r) => r.service === "ingest"));
      assert.ok(
        records.some((r) => r.msg === "camera started" && r.camera === "demo"),
        ingestLog.out,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("--instances that cannot be run is a usage error naming the service, before anything starts", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-up-instances-"));
    try {
      const up = (...args: string[]) => runCli(["up", "--data", dir, ...args], 60_000, { NATS_URL: "" });
      const cases: [string[], RegExp][] = [
        [["--instances", "alert=x"], /^facetracker: --instances: expected SERVICE=N.*got 'alert=x'$/m],
        [
          ["--instances", "api=2"],
          /^facetracker: --instances: api runs as one instance only \(several may run of: .*track.*\)$/m,
        ],
        [["--instances", "camera=2"], /^facetracker: --instances: no service 'camera'/m],
        [
          ["--instances", "track=65"],
          /^facetracker: --instances: track: expected a whole number from 1 to 64, got 65$/m,
        ],
        [["--instances", "embed=2", "--embed-workers", "3"], /embed=2 disagrees with --embed-workers 3/],
        [["--instances", "track=2", "--single-process"], /--instances track=2 needs service processes/],
        [
          ["--instances", "ingest=2", "--exit-when-done"],
          /--exit-when-done runs one ingest instance \(not --instances ingest=2\)/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await up(...args);
        assert.equal(r.code, 2, `${args.join(" ")}: ${r.out}${r.err}`);
        assert.match(r.err, message, args.join(" "));
        assert.match(r.err, /^usage: facetracker up .*--instances SERVICE=N/m);
      }
      assert.equal(existsSync(path.join(dir, "nats")), false, "no nats-server started");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a configured port that is taken is an error naming it and its holder, before anything starts", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-up-port-"));
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const config = path.join(dir, "site.yaml");
      await writeFile(
        config,
        `cameras:\n  - id: door\n    url: ${path.join(dir, "door.mp4")}\napi:\n  http_port: ${port}\n`,
      );
      const r = await runCli(
        ["up", "--config", config, "--data", dir, "--db", path.join(dir, "gallery")],
        60_000,
        {
          NATS_URL: "",
        },
      );
      assert.equal(r.code, 1, r.out);
      assert.match(
        r.err,
        new RegExp(
          `^facetracker: api\\.http_port ${port} is taken on 127\\.0\\.0\\.1 by pid ${process.pid} \\(.*\\): stop it, or configure another port`,
        ),
      );
      assert.equal(existsSync(path.join(dir, "nats")), false, "no nats-server started");
      // Set to the built-in default (here through the environment) is set all the same: an error, not a move.
      const standard = net.createServer();
      const held = await new Promise<boolean>((resolve) => {
        standard.once("error", () => resolve(false)); // taken by another process already: taken all the same
        standard.listen(50051, "127.0.0.1", () => resolve(true));
      });
      try {
        const again = await runCli(
          ["up", "--config", config, "--data", dir, "--db", path.join(dir, "gallery")],
          60_000,
          { NATS_URL: "", FACETRACKER_API__PORT: "50051", FACETRACKER_API__HTTP_PORT: "0" },
        );
        assert.equal(again.code, 1, again.out);
        assert.match(again.err, /^facetracker: api\.port 50051 is taken on 127\.0\.0\.1/);
      } finally {
        if (held) await new Promise((resolve) => standard.close(resolve));
      }
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("service processes stop by themselves when `up` is killed (no orphans); the next `up` stops the nats-server it left", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-up-kill-"));
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, "packages/cli/src/main.ts"),
        "up",
        "--data",
        dir,
        "--db",
        path.join(dir, "gallery"),
      ],
      { cwd: repoRoot, env: { ...process.env, FACETRACKER_CONFIG: "", NATS_URL: "" } },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    try {
      await waitFor(() => /Ctrl-C stops/.test(out), "up to start its services", 120_000);
      const pids = servicePids(out);
      assert.equal(pids.length, 9, out);
      child.kill("SIGKILL");
      await waitFor(() => pids.every((pid) => !alive(pid)), "every service process to exit", 30_000);
      // nats-server does not notice a SIGKILLed parent; the next `up` on this data directory stops it.
      const [stale] = natsServersUsing(dir);
      assert.ok(stale, "the killed run's nats-server is still there");
      const again = await runCli(
        ["up", "--data", dir, "--db", path.join(dir, "gallery"), "--exit-when-done"],
        180_000,
        { NATS_URL: "" },
      );
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /up: stopping nats-server pid \d+, left running on .* by an earlier run/);
      assert.equal(alive(Number(stale.split(" ")[0])), false);
      assert.deepEqual(natsServersUsing(dir), [], "no nats-server left running");
    } finally {
      child.kill("SIGKILL");
      for (const line of natsServersUsing(dir)) process.kill(Number(line.split(" ")[0]), "SIGTERM");
      await waitFor(() => natsServersUsing(dir).length === 0, "nats-server to stop", 10_000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
