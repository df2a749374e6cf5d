/**
 * Corrections through the real CLI and models (docs/memory.md, Corrections), on the generated lobby video
 * (two people cut from the registry's sample photos): bea's photo is enrolled under the name "amy", so
 * that `analyze` wrongly names bea's track amy. `correct not` that track: the next pass of the same video
 * no longer names it amy; `correct undo`: it is amy again; `correct is bea`: the next pass names it bea.
 */

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { renderLobby } from "./helpers/lobby-video.ts";
import { runCli } from "./helpers/run-cli.ts";

interface AnalysedTrack {
  track_id: number;
  identity: { name: string } | null;
}

describe("facetracker correct: a corrected mistake does not come back on the next pass (lobby video)", () => {
  let dir: string;
  let db: string;
  let video: string;
  let beaPhoto: string;
  let wrong: number;

  async function analyze(): Promise<AnalysedTrack[]> {
    const json = path.join(dir, "lobby.json");
    const r = await runCli(["analyze", "--db", db, "--quiet", "--json", json, video]);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(await readFile(json, "utf8")).tracks as AnalysedTrack[];
  }
  const nameOf = (tracks: AnalysedTrack[], id: number) =>
    tracks.find((t) => t.track_id === id)?.identity?.name ?? null;
  async function correct(args: string[]) {
    const r = await runCli(["correct", "--db", db, ...args]);
    assert.equal(r.code, 0, r.err);
    return r.out;
  }

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-corrections-"));
    db = path.join(dir, "gallery");
    video = path.join(dir, "lobby.mp4");
    const { bea } = await renderLobby(video, { frames: 40 });
    beaPhoto = path.join(dir, "bea.jpg");
    await writeMirroredJpeg(bea, beaPhoto);
    // The mistake: bea's face enrolled as amy.
    const enrolled = await runCli(["enroll", "--db", db, "--name", "amy", beaPhoto]);
    assert.equal(enrolled.code, 0, enrolled.err);
    const tracks = await analyze();
    const named = tracks.filter((t) => t.identity?.name === "amy");
    assert.equal(named.length, 1, `one track (bea's) named amy: ${JSON.stringify(tracks)}`);
    wrong = (named[0] as AnalysedTrack).track_id;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("not, next pass, undo, next pass, is NAME, next pass", async () => {
    // "Not amy", naming the track by its file and track ID.
    const not = JSON.parse(await correct(["not", "--json", `${video}:${wrong}`]));
    assert.equal(not.correction.kind, "not");
    assert.equal(not.correction.source, video);
    assert.equal(not.correction.track_id, wrong);
    assert.equal(not.correction.before.identity.name, "amy");
    assert.equal(not.correction.after, null);
    assert.equal(not.correction.negative_identity.name, "amy");
    assert.ok(not.correction.negative_ids.length >= 1, "the track's faces became negative examples of amy");
    assert.equal(not.correction.undone_time, null);
    const gallery = await runCli(["gallery", "list", "--db", db]);
    assert.match(
      gallery.out,
      new RegExp(
        `^amy\\t1 embedding\\(s\\), ${not.correction.negative_ids.length} negative example\\(s\\)`,
        "m",
      ),
    );

    // The next pass of the same video: the mistake does not come back.
    let tracks = await analyze();
    assert.equal(nameOf(tracks, wrong), null, "bea's track is no longer amy");
    assert.deepEqual(
      tracks.filter((t) => t.identity?.name === "amy"),
      [],
      "no track is named amy",
    );

    // Undo: amy again on the next pass; the correction is listed as undone.
    const undo = await correct(["undo", String(not.correction.id)]);
    assert.match(
      undo,
      new RegExp(
        `^undid correction #${not.correction.id}: .*removed from the gallery: \\d+ negative example\\(s\\) of amy`,
      ),
    );
    tracks = await analyze();
    assert.equal(nameOf(tracks, wrong), "amy", "undone: the old mistake is back");
    const list = JSON.parse(await correct(["list", "--json"]));
    assert.equal(list.length, 1);
    assert.equal(typeof list[0].undone_time, "string");

    // "This is bea", naming the track by the memory ID that search prints.
    const found = JSON.parse((await runCli(["search", "--db", db, "--json", "--limit", "1", beaPhoto])).out);
    assert.equal(found[0].track_id, wrong);
    assert.equal(found[0].identity, "amy");
    const is = JSON.parse(await correct(["is", "--json", String(found[0].id), "bea"]));
    assert.equal(is.correction.kind, "is");
    assert.equal(is.correction.memory_id, found[0].id);
    assert.equal(is.correction.after.name, "bea");
    assert.equal(is.correction.identity_created, true);
    assert.ok(is.enrolled >= 1);
    assert.equal(is.correction.negative_identity.name, "amy", "the face is not amy's either");
    tracks = await analyze();
    assert.equal(nameOf(tracks, wrong), "bea", "the next pass names the track bea");

    // Clear errors.
    const wrongUse = await runCli(["correct", "undo", "--db", db, String(not.correction.id)]);
    assert.equal(wrongUse.code, 1);
    assert.match(wrongUse.err, /undone already/);
    const unnamed = tracks.find((t) => t.identity === null);
    if (unnamed) {
      const r = await runCli(["correct", "not", "--db", db, `${video}:${unnamed.track_id}`]);
      assert.equal(r.code, 1);
      assert.match(r.err, /is not named/);
    }
    const missing = await runCli(["correct", "not", "--db", db, `${video}:99`]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no remembered track #99 of/);
    const bad = await runCli(["correct", "not", "--db", db, "lobby"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /expected a track/);
    const noCorrection = await runCli(["correct", "undo", "--db", db, "999"]);
    assert.equal(noCorrection.code, 1);
    assert.match(noCorrection.err, /no correction #999/);
  });
});
