/**
 * `facetracker up` supervises its nats-server: SIGKILLed, it is restarted on the same port and store
 * (up's /healthz says the bus is down meanwhile) and the pipeline goes on; a second `up` on the same data
 * directory is refused; after `up` itself is SIGKILLed, the next `up` stops the server it left.
 */

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectBus } from "@facetracker/bus";
import { waitFor } from "@facetracker/testing";
import { renderLobby } from "./helpers/lobby-video.ts";
import { metricSum } from "./helpers/prometheus-text.ts";
import { repoRoot, runCli } from "./helpers/run-cli.ts";
import { startUp, type UpProcess } from "./helpers/up-process.ts";

/** Pids of the nats-server processes on `storeDir` (its command line names the store). */
function natsServersOn(storeDir: string): number[] {
  try {
    return execFileSync("pgrep", ["-af", "nats-server"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => /^\d+ \S*nats-server /.test(line) && line.includes(` -sd ${storeDir}`))
      .map((line) => Number(line.split(" ")[0]));
  } catch {
    return [];
  }
}

interface GroupedUp {
  readonly pid: number;
  output(): string;
  readonly exited: Promise<number | string>;
}

/**
 * `facetracker up` in a process group of its own, as a shell starts it from a terminal (so that the test
 * can send SIGINT to the whole group, as Ctrl-C does); resolves once it printed "Ctrl-C stops".
 */
async function startUpInItsOwnGroup(
  configFile: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<GroupedUp> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, "packages/cli/src/main.ts"), "up", "--config", configFile, "--data", dataDir],
    {
      cwd: repoRoot,
      env: { ...process.env, FACETRACKER_CONFIG: "", NATS_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let text = "";
  child.stdout.on("data", (d) => {
    text += d;
  });
  child.stderr.on("data", (d) => {
    text += d;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const pid = child.pid as number;
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`up exited (${child.exitCode}) while starting:\n${text}`);
      return /Ctrl-C stops/.test(text);
    },
    "up to start every service",
    300_000,
  ).catch((error: unknown) => {
    process.kill(-pid, "SIGKILL");
    throw error;
  });
  return { pid, output: () => text, exited };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("facetracker up supervises its nats-server (real up, services, nats-server)", () => {
  let dir: string;
  let configFile: string;
  let dataDir: string;
  let storeDir: string;
  let block: string;
  let env: NodeJS.ProcessEnv;
  let up: UpProcess | undefined;
  let grouped: GroupedUp | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-up-bus-"));
    dataDir = path.join(dir, "data");
    storeDir = path.join(dataDir, "nats");
    await mkdir(dataDir);
    // A looping camera: amy and bea each walk across once per 10 s loop, so every loop makes new tracks.
    const video = path.join(dir, "lobby-loop.mp4");
    await renderLobby(video, {
      frames: 100,
      fps: 10,
      amy: (f) => (f < 60 ? [-120 + 12 * f, 20] : null),
      bea: (f) => (f >= 40 ? [640 - 12 * (f - 40), 190] : null),
    });
    configFile = path.join(dir, "facetracker.yaml");
    await writeFile(
      configFile,
      `${JSON.stringify({
        db_path: path.join(dir, "gallery"),
        cameras: [{ id: "door", url: video, loop: true }],
        api: { port: 0, http_port: 0 },
        runtime: { detect_workers: 1 },
      })}\n`,
    );
    // nats-server as up finds it (NATS_SERVER), except that it refuses to start while BLOCK exists: the
    // fault of a server that cannot come back at once, to see up's /healthz while the bus is down.
    block = path.join(dir, "BLOCK");
    const wrapper = path.join(dir, "nats-server");
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ -e ${JSON.stringify(block)} ]; then echo "refused by the test: BLOCK exists" >&2; exit 3; fi\nexec nats-server "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    env = { NATS_SERVER: wrapper };
    up = await startUp(configFile, dataDir, { env });
  });

  after(async () => {
    await up?.stop(30_000);
    if (grouped) process.kill(-grouped.pid, "SIGKILL");
    for (const pid of natsServersOn(storeDir)) process.kill(pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("restarts its SIGKILLed nats-server on the same port and store, reports the bus down meanwhile, and the pipeline comes back", async () => {
    const run = up as UpProcess;
    const [pid] = natsServersOn(storeDir);
    assert.ok(pid, `up's nats-server runs on ${storeDir}`);
    assert.match(run.output(), new RegExp(`up: started nats-server ${run.natsUrl} \\(pid ${pid}, `));
    await waitFor(() => /^track {2}door #\d+ confirmed/m.test(run.output()), "a first track", 120_000);

    // up's /metrics is the aggregate of its services (each read from its own /metrics, labelled with its
    // service): per camera frames in and tracked, the camera up, the alerts by camera and mode, latencies.
    const metricsUrl = run.healthUrl.replace(/\/healthz$/, "/metrics");
    const door = { camera: "door" };
    let metrics = "";
    await waitFor(
      async () => {
        metrics = await (await fetch(metricsUrl)).text();
        return metricSum(metrics, "facetracker_capture_to_alert_seconds_count", door) >= 1;
      },
      "an alert counted in up's /metrics",
      120_000,
      500,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${metrics}\n${run.output()}`);
    });
    assert.ok(metricSum(metrics, "facetracker_frames_in_total", { ...door, service: "ingest" }) > 0, metrics);
    assert.ok(metricSum(metrics, "facetracker_frames_tracked_total", { ...door, service: "track" }) > 0);
    assert.equal(metricSum(metrics, "facetracker_camera_up", { ...door, service: "ingest" }), 1);
    assert.ok(
      metricSum(metrics, "facetracker_alerts_total", { ...door, mode: "ON_UNKNOWNS", kind: "alert" }) >= 1,
      metrics,
    );
    assert.ok(metricSum(metrics, "facetracker_capture_to_track_seconds_count", door) >= 1);
    for (const service of [
      "api",
      "web",
      "embed",
      "alert",
      "clip-recorder",
      "track",
      "detect",
      "restream",
      "ingest",
    ])
      assert.equal(metricSum(metrics, "facetracker_scrape_up", { service }), 1, `${service} read`);
    // Each service's process metrics, and up's own.
    assert.ok(metricSum(metrics, "process_resident_memory_bytes", { service: "detect" }) > 0);
    assert.ok(metricSum(metrics, "process_resident_memory_bytes", { service: "facetracker" }) > 0);

    await writeFile(block, ""); // the first restart fails: up's /healthz must say why
    process.kill(pid, "SIGKILL");
    await waitFor(() => /up: cannot restart nats-server/.test(run.output()), "a failed restart", 30_000);
    const down = await run.health();
    assert.match(down, /^503 /);
    assert.match(
      down,
      /"nats-server":"down since [^"]+: cannot restart nats-server: nats-server: exited before it was ready \(code 3, signal null\); restarting it"/,
    );
    assert.match(down, /"bus":"disconnected from nats:\/\/127\.0\.0\.1:\d+ since /);
    await rm(block);

    await waitFor(() => /up: restarted nats-server/.test(run.output()), "up to restart nats-server", 60_000);
    const restartedAt = Date.now();
    const out = run.output();
    assert.match(
      out,
      new RegExp(
        `up: nats-server pid ${pid} died \\(signal SIGKILL\\); restarting it on ${run.natsUrl} \\(same JetStream store\\) in 1 s`,
      ),
    );
    assert.match(out, /up: cannot restart nats-server: .* \(attempt 1\); trying again in 2 s/);
    const [again] = natsServersOn(storeDir);
    assert.ok(again && again !== pid, "a new nats-server on the store");
    assert.match(out, new RegExp(`up: restarted nats-server ${run.natsUrl} \\(pid ${again}, `));
    assert.deepEqual(natsServersOn(storeDir), [again], "one nats-server on the store");

    await waitFor(() => run.healthy(), "every service ready again (up's /healthz)", 120_000, 500);
    // Track events flow again: published after the restart, and printed by up.
    const printedBefore = run.output().length;
    const bus = await connectBus({ servers: run.natsUrl, ...run.natsObserver, name: "test" });
    try {
      await waitFor(
        async () => {
          const last = await bus.jsm.streams
            .getMessage("FT_TRACKS", { last_by_subj: "ft.tracks.door" })
            .catch(() => undefined);
          return last != null && last.time.getTime() > restartedAt;
        },
        "a track event published after the restart",
        120_000,
        500,
      );
    } finally {
      await bus.close();
    }
    await waitFor(
      () => /^track {2}door #\d+ /m.test(run.output().slice(printedBefore)),
      "up to print a track event after the restart",
      60_000,
    );
  });

  it("refuses a second up on the same data directory, naming the nats-server and the up that hold it", async () => {
    const run = up as UpProcess;
    const servers = natsServersOn(storeDir);
    assert.equal(servers.length, 1, "up's nats-server runs");
    const second = await runCli(["up", "--config", configFile, "--data", dataDir], 120_000, {
      NATS_URL: "",
      ...env,
    });
    assert.equal(second.code, 1, second.err);
    assert.match(
      second.err,
      new RegExp(
        `^facetracker: the JetStream store ${storeDir} is in use by nats-server pid ${servers[0]} \\(started by facetracker up pid ${run.pid}\\): stop that run first, or give this one another data directory \\(--data\\)$`,
        "m",
      ),
    );
    assert.deepEqual(natsServersOn(storeDir), servers, "no second nats-server started");
    assert.equal(await run.healthy(), true, "the first run goes on");
  });

  it("after up itself is SIGKILLed, the next up on the data directory stops the nats-server it left and runs alone", async () => {
    const killed = up as UpProcess;
    const [orphan] = natsServersOn(storeDir);
    assert.ok(orphan);
    process.kill(killed.pid, "SIGKILL");
    await killed.exited;
    assert.equal(alive(orphan), true, "a SIGKILLed up leaves its nats-server running");

    const run = await startUpInItsOwnGroup(configFile, dataDir, env);
    grouped = run;
    assert.match(
      run.output(),
      new RegExp(`up: stopping nats-server pid ${orphan}, left running on ${storeDir} by an earlier run`),
    );
    assert.equal(alive(orphan), false);
    const servers = natsServersOn(storeDir);
    assert.equal(servers.length, 1, `one nats-server on the store: ${servers}`);
    assert.match(
      run.output(),
      new RegExp(`up: started nats-server nats://127\\.0\\.0\\.1:\\d+ \\(pid ${servers[0]}, `),
    );
    await waitFor(() => /^track {2}door #\d+ /m.test(run.output()), "track events from the new run", 120_000);
  });

  it("Ctrl-C at the terminal (SIGINT to up's whole process group) stops the services, then nats-server, which is not restarted", async () => {
    const run = grouped as GroupedUp;
    const [server] = natsServersOn(storeDir);
    assert.ok(server);
    process.kill(-run.pid, "SIGINT");
    assert.equal(await run.exited, 0, run.output());
    grouped = undefined;
    assert.match(run.output(), /up: stopping/);
    assert.doesNotMatch(run.output(), /nats-server pid \d+ died|restarted nats-server/);
    assert.equal(alive(server), false);
    assert.deepEqual(natsServersOn(storeDir), [], "no nats-server left running");
  });
});
