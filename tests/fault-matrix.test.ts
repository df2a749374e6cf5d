/**
 * The fault matrix: `facetracker up` (each service its own process, its own nats-server) on a looping
 * camera with an enrolled and an unknown person, a json:// notification receiver and local clip storage;
 * every service process and nats-server is SIGKILLed at seeded random moments, two rounds; after each
 * fault the run must recover by itself (the target running again, up's /healthz ready). At the end what
 * users see must hold: every identified track has exactly one alert; every alert one delivery record of
 * its notification and one of its clip, one notification received, one clip record whose file exists; no
 * dead letter. FAULT_SEED replays a run (the seed is printed); FAULT_ROUNDS and FAULT_TARGETS narrow it.
 * `pnpm soak [MINUTES]` runs the same for longer.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { appriseMissing } from "@facetracker/testing/notify";
import { formatReport, runFaultRun } from "./helpers/fault-harness.ts";
import { parseFaultTargets } from "./helpers/fault-targets.ts";

const seed = Number(process.env.FAULT_SEED || Math.floor(Math.random() * 2 ** 31));
const rounds = Number(process.env.FAULT_ROUNDS || 2);
/** Every service process and nats-server, unless FAULT_TARGETS narrows it. */
const targets = parseFaultTargets(process.env.FAULT_TARGETS);

describe("fault matrix under facetracker up (SIGKILL of each service and of nats-server)", {
  skip: appriseMissing(),
}, () => {
  it(`recovers from every fault and loses or duplicates no alert, notification or clip (FAULT_SEED=${seed}, ${rounds} rounds)`, async () => {
    console.log(`fault-matrix: FAULT_SEED=${seed} FAULT_ROUNDS=${rounds} FAULT_TARGETS=${targets.join(",")}`);
    const report = await runFaultRun({
      seed,
      rounds,
      targets,
      workDir: await mkdtemp(path.join(os.tmpdir(), "ft-fault-matrix-")),
      keep: process.env.FAULT_KEEP === "1",
      log: (line) => console.log(`fault-matrix: ${line}`),
    });
    const text = formatReport(report);
    console.log(text);
    assert.equal(report.faults.length, rounds * targets.length, `every fault was injected\n${text}`);
    assert.ok(report.counts.alerts > 0, `the scene alerted\n${text}`);
    assert.deepEqual(
      report.violations.map((v) => `${v.kind}: ${v.what}`),
      [],
      `FAULT_SEED=${seed} replays this run\n${text}`,
    );
  });
});
