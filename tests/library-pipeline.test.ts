/**
 * FaceTracker.startFaceTrackingPipeline from a program: the README's example run as written (service
 * processes, a private nats-server) on a generated lobby video, and the handle itself (all in this
 * process, attached to a nats-server the test started): iterators opened late see every event since the
 * start, stop() ends them and leaves the attached server running.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectBus, type MessageKind, type MessageKinds, typedBus } from "@facetracker/bus";
import { FaceRecognizer, FaceTracker, TrackEventType } from "@facetracker/sdk";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { renderLobby } from "./helpers/lobby-video.ts";
import { metricSum } from "./helpers/prometheus-text.ts";
import { repoRoot } from "./helpers/run-cli.ts";

/** The README's TypeScript block that starts the pipeline. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(repoRoot, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const example = blocks.filter((b) => b.includes("startFaceTrackingPipeline("));
  assert.equal(example.length, 1, "one README example starts the pipeline");
  return example[0] as string;
}

/** Processes whose command line or environment names `dir` (nats-server, services, ffmpeg). */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      let environ = "";
      try {
        environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      } catch {
        // another user's process
      }
      if (cmdline.includes(dir) || environ.includes(dir)) found.push(`${pid} ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Runs `node file` in `cwd`; resolves with its exit code and output (killed after `limitMs`). */
function runNode(
  file: string,
  cwd: string,
  limitMs: number,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, FACETRACKER_CONFIG: "" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} did not finish in ${limitMs} ms:\n${out}\n${err}`));
    }, limitMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe("FaceTracker.startFaceTrackingPipeline (library)", () => {
  let dir: string;
  let video: string;
  let amyPhoto: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-library-pipeline-"));
    video = path.join(dir, "lobby.mp4");
    const { amy } = await renderLobby(video, {
      frames: 60,
      amy: (f) => [60 + 2 * f, 50],
      bea: () => [420, 140],
    });
    amyPhoto = await writeMirroredJpeg(amy, path.join(dir, "amy.jpg"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A directory with the lobby video and a gallery at data/gallery in which amy is enrolled. */
  async function workspace(name: string): Promise<string> {
    const work = path.join(dir, name);
    await mkdir(work, { recursive: true });
    await writeFile(path.join(work, "lobby.mp4"), await readFile(video));
    const recognizer = await FaceRecognizer.create({ db_path: path.join(work, "data", "gallery") });
    assert.equal((await recognizer.enroll("amy", [amyPhoto])).enrolled, 1);
    await recognizer.close();
    return work;
  }

  it("the README example runs as written: prints an alert, exits 0, leaves no process behind", async () => {
    const work = await workspace("readme");
    // The example imports @facetracker/sdk as a user's program does.
    await mkdir(path.join(work, "node_modules", "@facetracker"), { recursive: true });
    await symlink(
      path.join(repoRoot, "packages", "sdk"),
      path.join(work, "node_modules", "@facetracker", "sdk"),
    );
    await writeFile(path.join(work, "package.json"), '{ "type": "module" }\n');
    await writeFile(path.join(work, "example.ts"), await readmeExample());

    const { code, out, err } = await runNode("example.ts", work, 240_000);
    assert.equal(code, 0, `${out}\n${err}`);
    assert.match(out, /live view on http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(out, /ALERT lobby #\d+: (amy|unknown face)/, `${out}\n${err}`);
    assert.ok(existsSync(path.join(work, "data", "nats")), "its own nats-server's store under dataDir");
    assert.deepEqual(processesUsing(work), [], "no nats-server, service or ffmpeg left running");
  });

  describe("the handle (every service in this process, attached to a running nats-server)", () => {
    let nats: NatsTestServer;
    before(async () => {
      nats = await startNatsServer();
    });
    after(async () => {
      await nats?.stop();
    });

    it("iterators opened after the run see every event since the start; stop() ends them and leaves the server", async () => {
      const work = await workspace("handle");
      const dataDir = path.join(work, "data");
      const pipeline = await FaceTracker.startFaceTrackingPipeline({
        config: {
          db_path: path.join(dataDir, "gallery"),
          alerts: { alert_mode: "ON_ALL" },
          cameras: [{ id: "lobby", url: path.join(work, "lobby.mp4") }],
        },
        dataDir,
        natsUrl: nats.url,
        singleProcess: true,
        exitWhenDone: true,
      });
      let stopped = false;
      try {
        assert.equal(pipeline.natsUrl, nats.url);
        assert.equal(existsSync(path.join(dataDir, "nats")), false, "no nats-server of its own");
        assert.match(pipeline.grpcAddress, /^127\.0\.0\.1:\d+$/);
        assert.match(pipeline.webUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
        assert.match(pipeline.describe().join("\n"), /in this process \(pid \d+\)/);
        assert.equal((await pipeline.readiness()).ready, true, JSON.stringify(await pipeline.readiness()));
        await pipeline.done();

        // The aggregate metrics (what `up --single-process` serves): each in-process service's own series,
        // labelled with its service, per camera; process metrics once, from this process.
        const metrics = await pipeline.allMetrics();
        const lobby = { camera: "lobby" };
        assert.ok(
          metricSum(metrics, "facetracker_frames_in_total", { ...lobby, service: "ingest" }) > 0,
          metrics,
        );
        assert.equal(
          metricSum(metrics, "facetracker_frames_tracked_total", { ...lobby, service: "track" }),
          metricSum(metrics, "facetracker_frames_in_total", lobby),
          "every frame published was tracked",
        );
        assert.equal(
          metricSum(metrics, "facetracker_alerts_total", { ...lobby, mode: "ON_ALL", kind: "alert" }),
          2,
          "amy's alert and the unknown's",
        );
        assert.equal(metricSum(metrics, "facetracker_capture_to_alert_seconds_count", lobby), 2);
        assert.ok(metricSum(metrics, "facetracker_capture_to_track_seconds_count", lobby) > 0);
        assert.equal(metricSum(metrics, "facetracker_scrape_up", { service: "alert" }), 1);
        assert.equal(
          metrics.split("\n").filter((l) => l === "# TYPE facetracker_messages_in_total counter").length,
          1,
          "one family per metric",
        );
        assert.ok(metricSum(metrics, "process_cpu_user_seconds_total", { service: "facetracker" }) > 0);

        // Opened only now, after the video ended and every stage drained.
        const collect = async <T>(iterator: AsyncIterable<T>) => {
          const values: T[] = [];
          for await (const v of iterator) values.push(v);
          return values;
        };
        const reading = Promise.all([
          collect(pipeline.trackEvents()),
          collect(pipeline.alerts()),
          collect(pipeline.clips()),
          collect(pipeline.deliveries()),
        ]);
        await pipeline.stop();
        stopped = true;
        const [events, alerts, clips, deliveries] = await reading;

        // Everything the streams hold (this server ran nothing else), read back directly.
        const observer = await connectBus({ servers: [nats.url], name: "library-pipeline-test" });
        try {
          const bus = typedBus(observer);
          const stored = async <K extends MessageKind>(kind: K) => {
            const values: MessageKinds[K][] = [];
            const { lastSeq } = await bus.streamState(kind);
            await bus.replay(kind, "lobby", {
              afterSeq: 0,
              upToSeq: lastSeq,
              handler: (v) => void values.push(v),
            });
            return values;
          };
          assert.deepEqual(events, await stored("tracks"), "every track event, in order");
          assert.deepEqual(alerts, await stored("alerts"), "every alert");
          assert.deepEqual(clips, await stored("clips"), "every clip event");
          assert.deepEqual(deliveries, await stored("deliveries"), "every delivery");
        } finally {
          await observer.close();
        }
        const confirmed = events.filter((e) => e.type === TrackEventType.CONFIRMED).map((e) => e.trackId);
        assert.deepEqual([...new Set(confirmed)].sort(), [1, 2], "both people tracked from the first frames");
        assert.deepEqual(alerts.map((a) => a.identity?.name ?? "unknown").sort(), ["amy", "unknown"]);
        for (const a of alerts) {
          assert.ok(
            clips.some((c) => c.alertIds.includes(a.id)),
            `a clip covers alert ${a.id} (overlapping alerts share one)`,
          );
          assert.ok(
            deliveries.some((d) => d.alertId === a.id && d.clipStatus === "stored"),
            `a delivery says alert ${a.id}'s clip was stored`,
          );
        }

        // stop() is idempotent, left the attached server running, and an iterator opened now ends at once.
        await pipeline.stop();
        assert.equal((await pipeline.alerts().next()).done, true);
        const again = await connectBus({ servers: [nats.url], name: "library-pipeline-test-after" });
        await again.close();
        assert.deepEqual(processesUsing(work), [], "no ffmpeg left running");
      } finally {
        if (!stopped) await pipeline.stop();
      }
    });
  });
});
