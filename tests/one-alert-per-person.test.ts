/**
 * One alert per person, end to end: the Hamilton clip of ../shared/data as a looping camera through the
 * real pipeline (FaceTracker.startFaceTrackingPipeline, every service in this process, a real
 * nats-server), Lin-Manuel Miranda, Alex Lacamoire and Obama enrolled, ON_ALL, cooldown_s and
 * unknown_cooldown_s 300. Every loop shows the same people again as new tracks: after the first loop no
 * track alerts, each is published as its person's "seen again" update on the first loop's alert; no named
 * person alerts twice. The camera runs at 10 fps so that two cores keep up with it and every loop goes
 * through tracking whole (at 30 fps frames are dropped, differently in each loop: see `pnpm bench:alerts
 * per-loop` for the clip at its own rate).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { perLoop, runLoopingHamilton, skipWithoutHamilton } from "./helpers/looping-hamilton.ts";

const LOOPS = 3;

describe("one alert per person on the looping Hamilton camera (real pipeline, ../shared/data)", {
  skip: skipWithoutHamilton(),
}, () => {
  let dir: string;
  let nats: NatsTestServer;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-one-alert-"));
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`alerts in the first loop only; the ${LOOPS - 1} loops after it are 'seen again', and nobody alerts twice`, async () => {
    const run = await runLoopingHamilton({ dir, loops: LOOPS, fps: 10, natsUrl: nats.url });
    const table = perLoop(run, LOOPS);
    console.log(`one-alert-per-person: ${JSON.stringify(table)}`);
    assert.equal(run.loopsDone, LOOPS, "every loop went through tracking");
    const [first, ...later] = table;
    assert.ok((first?.alerts ?? 0) > 0, "the first loop alerts");
    assert.deepEqual(
      run.alerts.filter((a) => run.loopOf(a.seq) > 0).map((a) => `${a.id} ${a.identity?.name ?? "unknown"}`),
      [],
      "no alert after the first loop",
    );
    for (const loop of later) {
      assert.ok(loop["tracks settled"] > 0, `loop ${loop.loop} has tracks: ${JSON.stringify(loop)}`);
      assert.equal(
        loop["seen again"],
        loop["tracks settled"],
        `every track of loop ${loop.loop} is the person of an alert seen again: ${JSON.stringify(loop)}`,
      );
    }
    const alertIds = new Set(run.alerts.map((a) => a.id));
    for (const u of run.updates) assert.ok(alertIds.has(u.alertId), `${u.alertId} is an alert of the run`);
    const named = run.alerts.flatMap((a) => (a.identity ? [a.identity.name] : []));
    assert.deepEqual(named, [...new Set(named)], "no named person alerts twice");
    assert.ok(named.includes("lin_manuel_miranda"), `Lin-Manuel Miranda alerts: ${named.join(", ")}`);
  });
});
