/**
 * Issue 18, test 3 under `facetracker up`: the fault scene on two cameras, with two processes of each
 * per-camera service (`up --instances ingest=2,track=2,alert=2,clip-recorder=2`), on a three-node
 * nats-server cluster on loopback instead of up's own server. One instance of each is SIGKILLed (up starts
 * it again under its instance ID: it takes its cameras back), and one node of the cluster (started again
 * 2 s later, as its supervisor would): the pipeline recovers by itself and what users see holds, as in the
 * fault matrix: every identified track exactly one alert, every alert one notification per destination,
 * one delivery record, one clip whose file exists; no dead letter. Except the clips of alerts triggered
 * around the node's loss whose frames were on it (FT_FRAMES keeps one copy, by design): reported apart.
 * FAULT_SEED replays a run.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { appriseMissing } from "@facetracker/testing/notify";
import { formatReport, runFaultRun } from "./helpers/fault-harness.ts";
import type { FaultTarget } from "./helpers/fault-targets.ts";

const seed = Number(process.env.FAULT_SEED || Math.floor(Math.random() * 2 ** 31));
const TARGETS: FaultTarget[] = ["ingest", "track", "alert", "clip-recorder", "nats-server"];

describe("partitioned services on a three-node bus under facetracker up (SIGKILL of an instance of each, and of a node)", {
  skip: appriseMissing(),
}, () => {
  it(`recovers and loses or duplicates no alert, notification or clip (FAULT_SEED=${seed})`, async () => {
    console.log(`fault-partitions: FAULT_SEED=${seed}`);
    const report = await runFaultRun({
      seed,
      rounds: 1,
      targets: TARGETS,
      cameras: 2,
      instances: "ingest=2,track=2,alert=2,clip-recorder=2",
      cluster: true,
      workDir: await mkdtemp(path.join(os.tmpdir(), "ft-fault-partitions-")),
      keep: process.env.FAULT_KEEP === "1",
      log: (line) => console.log(`fault-partitions: ${line}`),
    });
    const text = formatReport(report);
    console.log(text);
    assert.equal(report.faults.length, TARGETS.length, `every fault was injected\n${text}`);
    assert.ok(report.counts.alerts > 0, `the scene alerted\n${text}`);
    assert.deepEqual(
      report.violations.map((v) => `${v.kind}: ${v.what}`),
      [],
      `FAULT_SEED=${seed} replays this run\n${text}`,
    );
  });
});
