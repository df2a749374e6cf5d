/**
 * Every track remembered and searched by face, through the real CLI and models: `facetracker analyze`
 * remembers each confirmed track of a video, `facetracker search PHOTO` finds the track of the person in
 * the photo (the generated lobby video; the Hamilton clip with another photo of Lin-Manuel Miranda when
 * the shared data is present), `gallery delete` forgets the person's tracks, `--no-remember` records
 * nothing.
 */

import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { renderLobby } from "./helpers/lobby-video.ts";
import { runCli } from "./helpers/run-cli.ts";
import { facesDir, sharedData, skipWithoutSharedData } from "./helpers/shared-data.ts";

interface Found {
  id?: number;
  source: string;
  camera: string | null;
  track_id: number;
  first_time: number | string;
  last_time: number | string;
  similarity: number;
  thumbnail: string | null;
  clip: string | null;
}

async function search(args: string[]): Promise<Found[]> {
  const r = await runCli(["search", "--json", ...args]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Found[];
}

describe("facetracker analyze remembers, facetracker search finds (generated lobby video)", () => {
  let dir: string;
  let db: string;
  let video: string;
  let amyPhoto: string;
  let tracks: {
    track_id: number;
    identity: { name: string } | null;
    first_time: number;
    last_time: number;
  }[];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-memory-search-"));
    db = path.join(dir, "gallery");
    video = path.join(dir, "lobby.mp4");
    const { amy } = await renderLobby(video, { frames: 60 });
    amyPhoto = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, amyPhoto);
    const enrolled = await runCli(["enroll", "--db", db, "--name", "amy", amyPhoto]);
    assert.equal(enrolled.code, 0, enrolled.err);
    const json = path.join(dir, "lobby.json");
    const r = await runCli(["analyze", "--db", db, "--quiet", "--json", json, video]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`remembered: 2 tracks in ${path.join(db, "memory.sqlite")}`));
    tracks = JSON.parse(await readFile(json, "utf8")).tracks;
    assert.equal(tracks.length, 2);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds amy's track first from her photo, with the JSON fields of the issue", async () => {
    const amyTrack = tracks.find((t) => t.identity?.name === "amy");
    const beaTrack = tracks.find((t) => t.identity === null);
    assert.ok(amyTrack && beaTrack);
    const found = await search(["--db", db, amyPhoto]);
    assert.equal(found.length, 2);
    for (const f of found) {
      assert.deepEqual(Object.keys(f), [
        "id",
        "source",
        "camera",
        "track_id",
        "first_time",
        "last_time",
        "similarity",
        "thumbnail",
        "clip",
        "identity",
        "closest",
        "undetermined",
      ]);
      assert.ok(Number.isInteger(f.id) && (f.id as number) > 0, "the memory ID, for facetracker correct");
      assert.equal(f.source, video);
      assert.equal(f.camera, null);
      assert.equal(f.clip, null);
      assert.match(f.thumbnail as string, /^data:image\/jpeg;base64,\/9j\//);
    }
    const [first, second] = found as [Found, Found];
    assert.equal(first.track_id, amyTrack.track_id);
    assert.deepEqual([first.first_time, first.last_time], [amyTrack.first_time, amyTrack.last_time]);
    assert.ok(first.similarity >= 0.36, `amy's track: similarity ${first.similarity}`);
    assert.equal(second.track_id, beaTrack.track_id);
    assert.ok(second.similarity < first.similarity);

    // The table: one line per track, most similar first.
    const table = await runCli(["search", "--db", db, "--limit", "1", amyPhoto]);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trim().split("\n");
    assert.match(lines[0] as string, /^id\s+similarity\s+source\s+track\s+seen\s+who\s+clip$/);
    assert.equal(lines.length, 2);
    assert.match(
      lines[1] as string,
      new RegExp(
        `^${first.id}\\s+0\\.\\d{3}\\s+file ${video}\\s+#${amyTrack.track_id}\\s+[\\d.]+–[\\d.]+ s\\s+amy$`,
      ),
    );
  });

  it("filters: no camera of that name, nothing since tomorrow; bad options say so", async () => {
    assert.deepEqual(await search(["--db", db, "--camera", "door", amyPhoto]), []);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    assert.deepEqual(await search(["--db", db, "--since", tomorrow, amyPhoto]), []);
    assert.equal((await search(["--db", db, "--since", "1h", "--until", tomorrow, amyPhoto])).length, 2);
    const badLimit = await runCli(["search", "--db", db, "--limit", "0", amyPhoto]);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.err, /--limit: expected a whole number from 1 to 1000, got '0'/);
    const badUntil = await runCli(["search", "--db", db, "--until", "someday", amyPhoto]);
    assert.equal(badUntil.code, 2);
    assert.match(badUntil.err, /--until: expected a date/);
    const nothing = await runCli(["search", "--db", path.join(dir, "elsewhere"), amyPhoto]);
    assert.equal(nothing.code, 1);
    assert.match(
      nothing.err,
      /^facetracker: nothing remembered yet: no face memory at .*elsewhere\/memory\.sqlite/,
    );
  });

  it("--no-remember records nothing; analysing the file again replaces its tracks", async () => {
    const copy = path.join(dir, "copy.mp4");
    await copyFile(video, copy);
    const r = await runCli(["analyze", "--db", db, "--quiet", "--no-remember", copy]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /remembered:/);
    assert.deepEqual([...new Set((await search(["--db", db, amyPhoto])).map((f) => f.source))], [video]);
    const again = await runCli(["analyze", "--db", db, "--quiet", video]);
    assert.equal(again.code, 0, again.err);
    assert.equal((await search(["--db", db, amyPhoto])).length, 2);
  });

  it("gallery delete forgets the person's remembered tracks", async () => {
    const r = await runCli(["gallery", "delete", "--db", db, "amy"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /deleted 'amy' and 1 remembered track\(s\)/);
    const found = await search(["--db", db, amyPhoto]);
    assert.deepEqual(
      found.map((f) => f.track_id),
      [tracks.find((t) => t.identity === null)?.track_id],
    );
  });
});

describe("facetracker search on the Hamilton clip (real faces)", { skip: skipWithoutSharedData() }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-memory-hamilton-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("another photo of Lin-Manuel Miranda finds his medium shot (frames 90–219) first", async () => {
    const db = path.join(dir, "gallery");
    const clip = path.join(sharedData, "video/short_hamilton_clip.mp4");
    const r = await runCli(["analyze", "--db", db, "--quiet", clip], 300_000);
    assert.equal(r.code, 0, r.err);
    const [top] = await search([
      "--db",
      db,
      path.join(facesDir, "people/lin_manuel_miranda/lin-manuel-miranda.png"),
    ]);
    assert.ok(top, "a track found");
    assert.equal(top.source, clip);
    // The medium shot runs from about 3.0 s (frame 90) to 7.3 s (frame 219) at 29.97 fps.
    assert.ok((top.first_time as number) >= 2.5 && (top.first_time as number) <= 3.5, JSON.stringify(top));
    assert.ok((top.last_time as number) >= 6.5, JSON.stringify(top));
    assert.ok(top.similarity >= 0.5, JSON.stringify(top.similarity));
  });
});
