/**
 * The fault harness of the fault matrix (tests/fault-matrix.test.ts) and of `pnpm soak`: `facetracker up`
 * on the fault scene, SIGKILL of each service process and of nats-server at seeded random moments (each
 * fault waits for recovery: the target running again under a new pid and up's /healthz ready), then the
 * camera is removed through the gRPC API, the pipeline drains, what users saw is read back and checked
 * (fault-outcome.ts), and up is stopped as Ctrl-C does.
 */

import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { connectBus, typedBus } from "@facetracker/bus";
import { seededRandom } from "@facetracker/infra";
import { type Empty, FaceTrackerApiClient } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsCluster, startNatsCluster } from "@facetracker/testing/bus";
import { credentials } from "@grpc/grpc-js";
import {
  checkOutcome,
  type Observed,
  type OutcomeCounts,
  readObserved,
  type Violation,
} from "./fault-outcome.ts";
import { type FaultScene, prepareFaultScene } from "./fault-scene.ts";
import {
  childProcesses,
  commandOf,
  type FaultTarget,
  runPids,
  stillRunning,
  targetPids,
} from "./fault-targets.ts";
import { startUp, type UpProcess } from "./up-process.ts";

export interface FaultRunOptions {
  /** Seed of the moments and the order of the faults (printed; FAULT_SEED replays a run). */
  seed: number;
  /** What to kill. */
  targets: readonly FaultTarget[];
  /** Rounds: each kills every target once, in a seeded order (the fault matrix)… */
  rounds?: number;
  /** …or for this long, round after round (the soak run). */
  minutes?: number;
  /** Pause before each fault, after the previous recovery: seeded, between these (ms). Default 1–6 s. */
  pauseMs?: [number, number];
  /** A scratch directory (removed at the end unless `keep`). */
  workDir: string;
  keep?: boolean;
  /** Each step as it happens (faults injected, recoveries). */
  log?: (line: string) => void;
  /** Passed to up's /healthz-and-new-pid wait after each fault (default 180 s: a hang, not a performance bound). */
  recoveryLimitMs?: number;
  /** Cameras looping the scene's video (default 1). */
  cameras?: number;
  /** `up --instances` (e.g. "ingest=2,track=2"): a fault kills one instance, the first found. */
  instances?: string;
  /**
   * A three-node nats-server cluster on loopback instead of up's own server: a "nats-server" fault
   * SIGKILLs one node (seeded), which is started again on its port and store 2 s later (as its
   * supervisor would).
   */
  cluster?: boolean;
}

/** One SIGKILL. */
export interface FaultRecord {
  n: number;
  round: number;
  target: FaultTarget;
  pid: number;
  atMs: number;
  /** When the target ran again and up was healthy; undefined when it did not recover. */
  recoveredAtMs?: number;
  /** Children of the killed process still running once it was gone (e.g. "apprise pid 123"). */
  orphans?: string[];
}

export interface FaultRunReport {
  seed: number;
  /** The whole run (scene, start, faults, drain, stop), and the part under faults. */
  minutes: number;
  faultMinutes: number;
  faults: FaultRecord[];
  counts: OutcomeCounts;
  /** Each broken promise, with the faults around its trigger. */
  violations: (Violation & { faultsAround?: string })[];
  /**
   * On a cluster: the clips of alerts triggered from 20 s before to 10 s after a node was SIGKILLed, lost
   * because their frames were on that node (FT_FRAMES keeps one copy, in memory, by design: see
   * docs/deploy.md, "A replicated bus"). Reported, not counted as violations; alerts, notifications and
   * delivery records around a node's loss still are.
   */
  framesLost: (Violation & { faultsAround?: string })[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A seeded shuffle (Fisher–Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Alerts up printed so far ("ALERT  <camera> #<track>: …"). */
const printedAlerts = (up: UpProcess) => (up.output().match(/^ALERT {2}/gm) ?? []).length;

/** Removes the camera through the gRPC API (as an operator would), so that the pipeline can drain. */
async function removeCamera(address: string, id: string): Promise<void> {
  const client = new FaceTrackerApiClient(address, credentials.createInsecure());
  try {
    await new Promise<Empty>((resolve, reject) =>
      client.removeCamera({ id }, (error, response) => (error ? reject(error) : resolve(response))),
    );
  } finally {
    client.close();
  }
}

/** The consumers that hold work (as up's --exit-when-done waits for them). */
const DURABLES = [
  ["frames", "detect"],
  ["detections", "track_*"],
  ["tracks", "alert_*"],
  ["alerts", "notify"],
  ["alerts", "clip-recorder_*"],
] as const;

const EMPTY: Observed = {
  identified: [],
  alerts: [],
  seenAgain: [],
  deliveries: [],
  clips: [],
  notifications: [],
  destinations: [],
  deadLetters: [],
  clipFileExists: () => false,
};

/**
 * Removes the camera through the API (when the run recovered), waits until no durable consumer holds work
 * and nothing is missing (bounded: a loss shows in the check), and reads what users saw.
 */
async function drainAndRead(
  up: UpProcess,
  scene: FaultScene,
  recovered: boolean,
  log: (line: string) => void,
): Promise<ReturnType<typeof checkOutcome>> {
  const bus = await connectBus({
    servers: up.natsUrl,
    ...up.natsObserver,
    name: "fault-harness",
    connectTimeoutMs: 10_000,
  });
  try {
    if (recovered) {
      log("removing the cameras through the API and letting the pipeline drain");
      for (const camera of scene.cameras) await removeCamera(up.grpcAddress, camera);
      const typed = typedBus(bus);
      const drained = async () => {
        for (const [kind, durable] of DURABLES) {
          const backlog = await typed.backlog(kind, durable).catch(() => ({ pending: 1, ackPending: 0 }));
          if (backlog.pending + backlog.ackPending > 0) return false;
        }
        const { violations } = checkOutcome(await readObserved(bus, scene.receiver, scene.clipsDir));
        return violations.every((v) => v.kind !== "lost");
      };
      await waitFor(drained, "the pipeline to drain", 180_000, 5000).catch(() => {});
    }
    return checkOutcome(await readObserved(bus, scene.receiver, scene.clipsDir));
  } finally {
    await bus.close();
  }
}

/** Runs the scene under faults and returns what users saw, checked. */
export async function runFaultRun(options: FaultRunOptions): Promise<FaultRunReport> {
  const log = options.log ?? (() => {});
  const random = seededRandom(options.seed);
  const [pauseMin, pauseMax] = options.pauseMs ?? [1000, 6000];
  const recoveryLimitMs = options.recoveryLimitMs ?? 180_000;
  const extra: Violation[] = [];
  const faults: FaultRecord[] = [];

  let cluster: NatsCluster | undefined;
  if (options.cluster) {
    cluster = await startNatsCluster();
    log(`three-node nats cluster: ${cluster.urls.join(", ")}`);
  }
  log(`preparing the scene in ${options.workDir}`);
  const scene = await prepareFaultScene(options.workDir, {
    cameras: options.cameras ?? 1,
    ...(cluster ? { natsUrls: cluster.urls } : {}),
  });
  const storeDir = path.join(scene.dataDir, "nats");
  /** The live processes of a target: up's children, or the cluster's nodes. */
  const pidsOf = (target: FaultTarget, upPid: number): number[] =>
    target === "nats-server" && cluster
      ? cluster.nodes.map((n) => n.pid).filter((pid) => pid > 0 && commandOf(pid) !== "")
      : targetPids(target, upPid, storeDir);
  let up: UpProcess | undefined;
  const startedAt = Date.now();
  try {
    up = await startUp(scene.configFile, scene.dataDir, {
      ...(options.instances ? { args: ["--instances", options.instances] } : {}),
      ...(cluster ? { natsUrls: cluster.urls } : {}),
    });
    const running = up;
    log(`up pid ${running.pid}: nats ${running.natsUrl}, health ${running.healthUrl}`);
    await waitFor(() => printedAlerts(running) > 0, "the first alert before any fault", 300_000, 500);

    const faultsStart = Date.now();
    const more = (round: number) =>
      options.minutes !== undefined
        ? Date.now() - faultsStart < options.minutes * 60_000
        : round <= (options.rounds ?? 1);
    injecting: for (let round = 1; more(round); round++) {
      for (const target of shuffled(options.targets, random)) {
        const pause = pauseMin + random() * (pauseMax - pauseMin);
        if (options.minutes !== undefined && !more(round)) break injecting;
        await sleep(pause);
        const before = await waitFor(
          () => {
            const pids = pidsOf(target, running.pid);
            return pids.length > 0 ? pids : undefined;
          },
          `${target} to be running`,
          recoveryLimitMs,
          200,
        );
        const pid =
          cluster && target === "nats-server" ? before[Math.floor(random() * before.length)] : before[0];
        const fault: FaultRecord = {
          n: faults.length + 1,
          round,
          target,
          pid: pid as number,
          atMs: Date.now(),
        };
        faults.push(fault);
        const children = childProcesses(fault.pid);
        const killed = { pid: fault.pid, command: commandOf(fault.pid) };
        process.kill(fault.pid, "SIGKILL");
        log(
          `fault ${fault.n} (round ${round}): SIGKILL ${target} pid ${fault.pid} at +${((fault.atMs - startedAt) / 1000).toFixed(1)} s`,
        );
        // Its children (ffmpeg, apprise) that go on once it is gone: what they do afterwards is not its.
        await waitFor(() => !stillRunning(killed), `${target} pid ${fault.pid} to die`, 30_000, 20).catch(
          () => {},
        );
        fault.orphans = children.filter(stillRunning).map((c) => `${c.command} pid ${c.pid}`);
        if (fault.orphans.length > 0) log(`  its children still running: ${fault.orphans.join(", ")}`);
        const node = cluster?.nodes.find((n) => n.pid === fault.pid);
        if (node) {
          // Its supervisor starts it again (same port and store); the cluster goes on with two meanwhile.
          await sleep(2000);
          await node.restart();
          log(`  node ${node.url} started again (pid ${node.pid})`);
        }
        try {
          await waitFor(
            async () => {
              const servers = targetPids("nats-server", running.pid, storeDir);
              if (servers.length > 1 && !extra.some((v) => v.what.startsWith("two nats-servers"))) {
                extra.push({
                  kind: "failed",
                  what: `two nats-servers on one JetStream store after fault ${fault.n}: pids ${servers.join(", ")}`,
                  timeMs: Date.now(),
                });
              }
              const now = pidsOf(target, running.pid);
              return now.length >= before.length && !now.includes(fault.pid) && (await running.healthy());
            },
            `${target} to run again and up's /healthz to be ready`,
            recoveryLimitMs,
            250,
          );
          fault.recoveredAtMs = Date.now();
          log(`  recovered after ${((fault.recoveredAtMs - fault.atMs) / 1000).toFixed(1)} s`);
        } catch {
          const again = pidsOf(target, running.pid);
          extra.push({
            kind: "failed",
            what: `after fault ${fault.n} (SIGKILL ${target}) the pipeline did not recover within ${recoveryLimitMs / 1000} s: ${target} ${again.length ? `runs (pid ${again.join(", ")})` : "is not running"}; up's /healthz: ${await running.health()}`,
            timeMs: fault.atMs,
          });
          log(`  NOT recovered: ${extra.at(-1)?.what}`);
          break injecting;
        }
      }
    }

    const recovered = faults.every((f) => f.recoveredAtMs !== undefined);
    if (recovered) {
      // Let it run: the pipeline alerts again after the last fault.
      const alertsBefore = printedAlerts(running);
      try {
        await waitFor(
          () => printedAlerts(running) >= alertsBefore + 2,
          "two alerts after the last fault",
          300_000,
          500,
        );
      } catch {
        extra.push({
          kind: "failed",
          what: "no two new alerts after the last fault (the pipeline did not go on)",
        });
      }
    }

    let outcome: ReturnType<typeof checkOutcome> | undefined;
    try {
      outcome = await drainAndRead(running, scene, recovered, log);
    } catch (error) {
      extra.push({ kind: "failed", what: `cannot read what the run left: ${(error as Error).message}` });
    }

    log("stopping up (SIGTERM, as Ctrl-C)");
    const code = await running.stop();
    if (code !== 0) {
      extra.push({
        kind: "failed",
        what: `up exited with ${code} on SIGTERM:\n${running.output().slice(-3000)}`,
      });
    }
    await waitFor(
      () => runPids(running.pid, storeDir).length === 0,
      "up's processes to exit",
      30_000,
      200,
    ).catch(() =>
      extra.push({
        kind: "failed",
        what: `processes left running after up stopped: ${runPids(running.pid, storeDir).join(", ")}`,
      }),
    );
    const found = [...(outcome?.violations ?? []), ...extra].map((v) => ({ ...v, ...around(v, faults) }));
    const nodeKills = cluster ? faults.filter((f) => f.target === "nats-server") : [];
    const framesLost = (v: Violation) =>
      v.timeMs !== undefined &&
      /clip failed|no clip record/.test(v.what) &&
      nodeKills.some(
        (f) => (v.timeMs as number) >= f.atMs - 20_000 && (v.timeMs as number) <= f.atMs + 10_000,
      );
    return {
      seed: options.seed,
      minutes: (Date.now() - startedAt) / 60_000,
      faultMinutes: ((faults.at(-1)?.recoveredAtMs ?? faultsStart) - faultsStart) / 60_000,
      faults,
      counts: outcome?.counts ?? checkOutcome(EMPTY).counts,
      violations: found.filter((v) => !framesLost(v)),
      framesLost: found.filter(framesLost),
    };
  } finally {
    if (up) {
      await up.stop(30_000);
      for (const pid of runPids(up.pid, storeDir)) process.kill(pid, "SIGKILL");
    }
    await scene.receiver.close();
    await cluster?.stop();
    // What up printed (its warnings, the services' errors), beside the kept run for its diagnosis.
    if (options.keep && up) await writeFile(path.join(options.workDir, "up.log"), `${up.output()}\n`);
    if (!options.keep) await rm(options.workDir, { recursive: true, force: true });
  }
}

/**
 * The faults from 10 s before a violation's trigger to 60 s after it (a fault after the trigger can
 * still hit the alert's notification or clip), as "faults around its trigger: 10 detect −0.3 s, 13
 * clip-recorder +20.1 s"; the nearest one when none is that close.
 */
function around(v: Violation, faults: FaultRecord[]): { faultsAround?: string } {
  if (v.timeMs === undefined || faults.length === 0) return {};
  const t = v.timeMs;
  const offset = (f: FaultRecord) => {
    const dt = (f.atMs - t) / 1000;
    return `${f.n} ${f.target} ${dt >= 0 ? "+" : "−"}${Math.abs(dt).toFixed(1)} s`;
  };
  const close = faults.filter((f) => f.atMs >= t - 10_000 && f.atMs <= t + 60_000);
  if (close.length > 0) return { faultsAround: `faults around its trigger: ${close.map(offset).join(", ")}` };
  const nearest = faults.reduce((a, b) => (Math.abs(b.atMs - t) < Math.abs(a.atMs - t) ? b : a));
  return { faultsAround: `nearest fault: ${offset(nearest)}` };
}

/** The report as printed by the soak run and by the fault matrix when it fails. */
export function formatReport(report: FaultRunReport): string {
  const perTarget = new Map<string, number>();
  for (const f of report.faults) perTarget.set(f.target, (perTarget.get(f.target) ?? 0) + 1);
  const c = report.counts;
  const lines = [
    `seed ${report.seed}, ${report.faultMinutes.toFixed(1)} minutes under faults, ${report.minutes.toFixed(1)} minutes in all`,
    `faults injected: ${report.faults.length} (${[...perTarget].map(([t, n]) => `${t} ${n}`).join(", ")})`,
    `tracks identified: ${c.tracks} (${c.knownTracks} known, ${c.tracks - c.knownTracks} unknown)`,
    `alerts: ${c.alerts}, seen again: ${c.seenAgain}, delivery records: ${c.deliveryRecords}, notifications received: ${c.notifications}, clips: ${c.clips}, dead letters: ${c.deadLetters}`,
    `lost: ${c.lost}, duplicated: ${c.duplicated}`,
  ];
  const orphaned = report.faults.filter((f) => f.orphans?.length);
  if (orphaned.length > 0) {
    lines.push(
      `children that outlived their killed service: ${orphaned.map((f) => `fault ${f.n} (${f.target}): ${f.orphans?.join(", ")}`).join("; ")}`,
    );
  }
  if (report.framesLost.length > 0) {
    lines.push(
      `clips lost with the frames of the SIGKILLed node (FT_FRAMES: one copy, by design) (${report.framesLost.length}):`,
    );
    for (const v of report.framesLost) lines.push(`  ${v.kind}: ${v.what}`);
  }
  if (report.violations.length > 0) {
    lines.push(`violations (${report.violations.length}):`);
    for (const v of report.violations) {
      lines.push(`  ${v.kind}: ${v.what}${v.faultsAround ? ` [${v.faultsAround}]` : ""}`);
    }
  }
  return lines.join("\n");
}
