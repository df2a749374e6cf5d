/**
 * `pnpm soak [MINUTES]` (default 10): the fault matrix for longer. `facetracker up` on the fault scene,
 * SIGKILL of each service and of nats-server at seeded random moments, round after round, for MINUTES;
 * prints each fault as it is injected and at the end the counts (minutes, faults per target, tracks,
 * alerts, notifications, clips, lost, duplicated), and exits 1 on any broken promise. FAULT_SEED replays a
 * run, FAULT_TARGETS narrows the targets, FAULT_KEEP=1 keeps the scratch directory (with what up printed, up.log).
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { formatReport, runFaultRun } from "./helpers/fault-harness.ts";
import { parseFaultTargets } from "./helpers/fault-targets.ts";

const usage = "usage: pnpm soak [MINUTES]   (FAULT_SEED, FAULT_TARGETS, FAULT_KEEP=1 in the environment)";
const arg = process.argv[2];
const minutes = arg === undefined ? 10 : Number(arg);
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error(`soak: MINUTES must be a positive number, got '${arg}'\n${usage}`);
  process.exit(2);
}
const seed = Number(process.env.FAULT_SEED || Math.floor(Math.random() * 2 ** 31));
const targets = parseFaultTargets(process.env.FAULT_TARGETS);
console.log(`soak: ${minutes} minutes of faults, FAULT_SEED=${seed}, targets ${targets.join(", ")}`);
const report = await runFaultRun({
  seed,
  minutes,
  targets,
  workDir: await mkdtemp(path.join(os.tmpdir(), "ft-soak-")),
  keep: process.env.FAULT_KEEP === "1",
  log: (line) => console.log(`soak: ${line}`),
});
console.log(formatReport(report));
if (report.violations.length > 0) {
  console.error(`soak: ${report.violations.length} broken promises (FAULT_SEED=${seed} replays this run)`);
  process.exit(1);
}
console.log("soak: every promise kept");
