/**
 * Visitors through the real CLI and models: the generated lobby video analysed twice (two files, nobody
 * enrolled): each of its two people becomes one visitor with two visits; `facetracker visitors name`
 * enrolls a visitor's best faces, after which `recognize` names that person in a photo and `analyze` in
 * the video.
 */

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { renderLobby } from "./helpers/lobby-video.ts";
import { runCli } from "./helpers/run-cli.ts";

interface VisitorJson {
  id: number;
  name: string | null;
  first_seen: string;
  last_seen: string;
  visits: number;
  cameras: string[];
  sources: string[];
  thumbnails: string[];
  tracks?: { source: string; track_id: number }[];
}

async function json<T>(args: string[]): Promise<T> {
  const r = await runCli(args);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as T;
}

describe("facetracker visitors (generated lobby video, analysed twice)", () => {
  let dir: string;
  let db: string;
  let videos: string[];
  let beaPhoto: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-visitors-cli-"));
    db = path.join(dir, "gallery");
    videos = [path.join(dir, "monday.mp4"), path.join(dir, "tuesday.mp4")];
    const { bea } = await renderLobby(videos[0] as string, { frames: 50 });
    await renderLobby(videos[1] as string, {
      frames: 50,
      amy: (f) => [60 + 2 * f, 120],
      bea: () => [400, 60],
    });
    beaPhoto = path.join(dir, "bea.jpg");
    await writeMirroredJpeg(bea, beaPhoto);
    for (const video of videos) {
      const r = await runCli(["analyze", "--db", db, "--quiet", video]);
      assert.equal(r.code, 0, r.err);
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("one visitor per person, with two visits each, in both files", async () => {
    const visitors = await json<VisitorJson[]>(["visitors", "list", "--db", db, "--json"]);
    assert.deepEqual(visitors.map((v) => [v.id, v.name, v.visits, [...v.sources].sort()]).sort(), [
      [1, null, 2, [...videos].sort()],
      [2, null, 2, [...videos].sort()],
    ]);
    for (const v of visitors) {
      assert.equal(v.thumbnails.length, 1);
      assert.match(v.thumbnails[0] as string, /^data:image\/jpeg;base64,/);
      assert.deepEqual(v.cameras, []);
    }
    const text = await runCli(["visitors", "list", "--db", db]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^#\d\tunknown\t2 visit\(s\)/m);
  });

  it("names a visitor: its faces enrolled, recognize and analyze then name that person", async () => {
    // bea's visitor: the one holding the track a search with her photo finds first.
    const [found] = await json<{ source: string; track_id: number }[]>([
      "search",
      "--db",
      db,
      "--json",
      "--limit",
      "1",
      beaPhoto,
    ]);
    assert.ok(found);
    const shown = await Promise.all(
      [1, 2].map((id) => json<VisitorJson>(["visitors", "show", "--db", db, "--json", String(id)])),
    );
    const bea = shown.find((v) =>
      v.tracks?.some((t) => t.source === found.source && t.track_id === found.track_id),
    );
    assert.ok(bea, "bea's track is in a visitor");
    const before = await runCli(["recognize", "--db", db, "--json", beaPhoto]);
    assert.equal(before.code, 0, before.err);
    assert.doesNotMatch(before.out, /"bea"/, "nobody is enrolled yet");

    const named = await runCli(["visitors", "name", "--db", db, `#${bea.id}`, "bea"]);
    assert.equal(named.code, 0, named.err);
    assert.match(
      named.out,
      new RegExp(
        `visitor #${bea.id} is now bea: \\d face\\(s\\) enrolled \\(created\\), 2 track\\(s\\) named`,
      ),
    );

    const recognized = await runCli(["recognize", "--db", db, "--json", beaPhoto]);
    assert.equal(recognized.code, 0, recognized.err);
    assert.match(recognized.out, /"name": "bea"/, recognized.out);
    const visitors = await json<VisitorJson[]>(["visitors", "list", "--db", db, "--json"]);
    assert.deepEqual(
      visitors.map((v) => [v.id, v.name]).sort(),
      [1, 2].map((id) => [id, id === bea.id ? "bea" : null]),
    );

    const report = path.join(dir, "again.json");
    const again = await runCli(["analyze", "--db", db, "--quiet", "--json", report, videos[0] as string]);
    assert.equal(again.code, 0, again.err);
    const tracks = JSON.parse(await readFile(report, "utf8")).tracks as {
      identity: { name: string } | null;
    }[];
    assert.deepEqual(tracks.map((t) => t.identity?.name ?? null).sort(), ["bea", null]);
  });

  it("refuses an unknown visitor and bad arguments", async () => {
    const missing = await runCli(["visitors", "show", "--db", db, "99"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no visitor #99/);
    const bad = await runCli(["visitors", "name", "--db", db, "x", "zed"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /expected a visitor ID/);
  });
});
