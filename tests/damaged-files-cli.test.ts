/**
 * Files say what was lost: analyze and enroll --from-video on a video whose bytes were damaged on disk
 * (a generated one, and a copy of the Hamilton clip when ../shared/data is there), and an image that is
 * only too large.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { flipBytes, wipeVideoPackets, writeBlankPng } from "@facetracker/testing/media";
import { renderLobby } from "./helpers/lobby-video.ts";
import { repoRoot, runCli } from "./helpers/run-cli.ts";

const EXIT_DAMAGED = 3;
/** "VIDEO: damaged video: lost N of M frames: a–b s" and/or "K frames decoded with errors: c s". */
const DAMAGE =
  /damaged video: (lost (\d+) of (\d+) frames|\d+ frames? decoded with errors): \d+\.\d\d(–\d+\.\d\d)? s/;

const lastLine = (text: string) => text.trim().split("\n").at(-1) as string;

describe("a damaged generated video (frames overwritten on disk)", () => {
  let dir: string;
  let db: string;
  let clean: string;
  let damaged: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-damaged-"));
    db = path.join(dir, "gallery");
    clean = path.join(dir, "lobby.mp4");
    const { amy } = await renderLobby(clean, { frames: 60 });
    damaged = await wipeVideoPackets(clean, path.join(dir, "lobby-damaged.mp4"), { from: 20, to: 35 });
    const photo = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, photo);
    const r = await runCli(["enroll", "--db", db, "--name", "amy", photo]);
    assert.equal(r.code, 0, r.err);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("analyze: the tracks of what decoded, then how many frames were lost and where, exit 3", async () => {
    const json = path.join(dir, "damaged.json");
    const r = await runCli(["analyze", "--db", db, "--quiet", "--json", json, damaged]);
    assert.equal(r.code, EXIT_DAMAGED, r.err);
    assert.match(r.out, /^track \d+: /m);
    const line = lastLine(r.err);
    assert.match(line, /^facetracker: .*lobby-damaged\.mp4: damaged video: lost \d+ of 60 frames: /);
    assert.match(line, DAMAGE);
    assert.match(line, /--allow-damaged/);
    const stats = JSON.parse(await readFile(json, "utf8")).stats;
    assert.ok(stats.lost_frames > 0, JSON.stringify(stats));
    assert.equal(stats.frames + stats.lost_frames, 60);
    assert.ok(stats.damaged_ranges.length > 0);
    assert.equal(stats.damaged_ranges[0].kind, "lost");
    assert.ok(line.includes(`lost ${stats.lost_frames} of 60 frames`), line);
  });

  it("analyze --allow-damaged: exit 0 with the same account as a warning", async () => {
    const r = await runCli(["analyze", "--db", db, "--quiet", "--allow-damaged", damaged]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /^facetracker: warning: .*lobby-damaged\.mp4: damaged video: lost \d+ of 60 frames: /m,
    );
  });

  it("analyze of the clean file: no warning, nothing lost", async () => {
    const json = path.join(dir, "clean.json");
    const r = await runCli(["analyze", "--db", db, "--quiet", "--json", json, clean]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /damaged|warning/);
    const stats = JSON.parse(await readFile(json, "utf8")).stats;
    assert.deepEqual(
      [stats.frames, stats.lost_frames, stats.corrupt_frames, stats.damaged_ranges],
      [60, 0, 0, []],
    );
  });

  it("enroll --from-video: a damaged video enrolls nothing (exit 3) unless --allow-damaged", async () => {
    const analysed = await runCli(["analyze", "--db", db, "--quiet", "--allow-damaged", damaged]);
    const track = /^track (\d+): /m.exec(analysed.out)?.[1];
    assert.ok(track, analysed.out);
    const enroll = ["enroll", "--db", db, "--name", "visitor", "--from-video", damaged, "--track", track];
    const refused = await runCli(enroll);
    assert.equal(refused.code, EXIT_DAMAGED, refused.err);
    assert.match(lastLine(refused.err), DAMAGE);
    assert.match(lastLine(refused.err), /nothing enrolled/);
    const listed = await runCli(["gallery", "list", "--db", db]);
    assert.doesNotMatch(listed.out, /visitor/);

    const allowed = await runCli([...enroll, "--allow-damaged", "--force"]);
    assert.equal(allowed.code, 0, allowed.err);
    assert.match(allowed.err, /^facetracker: warning: .*damaged video: lost /m);
    assert.match(allowed.out, /visitor: created/);
  });
});

const hamilton = path.resolve(repoRoot, "../shared/data/video/short_hamilton_clip.mp4");

describe("a damaged copy of the Hamilton clip (2,000 bytes flipped mid-file)", {
  skip: existsSync(hamilton) ? false : `no ${hamilton} (../shared/data is absent): skipped`,
}, () => {
  let dir: string;
  let damaged: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-hamilton-damaged-"));
    damaged = await flipBytes(hamilton, path.join(dir, "hamilton-damaged.mp4"), { at: 0.5, count: 2000 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 3 naming how many of the 275 frames were damaged and where", async () => {
    const json = path.join(dir, "damaged.json");
    const r = await runCli([
      "analyze",
      "--db",
      path.join(dir, "gallery"),
      "--quiet",
      "--json",
      json,
      damaged,
    ]);
    assert.equal(r.code, EXIT_DAMAGED, r.err);
    assert.match(lastLine(r.err), /^facetracker: .*hamilton-damaged\.mp4: damaged video: /);
    assert.match(lastLine(r.err), DAMAGE);
    const stats = JSON.parse(await readFile(json, "utf8")).stats;
    assert.equal(stats.frames + stats.lost_frames, 275);
    assert.ok(stats.lost_frames + stats.corrupt_frames > 0, JSON.stringify(stats));
    assert.ok(stats.damaged_ranges.length > 0);
  });

  it("--allow-damaged: exit 0 and a warning; the clean clip: no warning", async () => {
    const gallery = path.join(dir, "gallery");
    const allowed = await runCli(["analyze", "--db", gallery, "--quiet", "--allow-damaged", damaged]);
    assert.equal(allowed.code, 0, allowed.err);
    assert.match(allowed.err, /^facetracker: warning: .*hamilton-damaged\.mp4: damaged video: /m);
    const clean = await runCli(["analyze", "--db", gallery, "--quiet", hamilton]);
    assert.equal(clean.code, 0, clean.err);
    assert.doesNotMatch(clean.err, /damaged|warning/);
  });
});

describe("an image that is only too large", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-large-image-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a valid 20000×20000 PNG: its size and the limit, not 'corrupt'", async () => {
    const png = await writeBlankPng(path.join(dir, "huge.png"), 20000, 20000);
    const tooLarge = `${png}: image is 20000×20000 = 400 MP, above the limit of 50 MP (config key limits.max_image_pixels)`;
    const verified = await runCli(["verify", png, png]);
    assert.equal(verified.code, 1);
    assert.equal(lastLine(verified.err), `facetracker: ${tooLarge}`);
    const enrolled = await runCli(["enroll", "--db", path.join(dir, "gallery"), "--name", "x", png]);
    assert.equal(enrolled.code, 1);
    assert.ok(enrolled.err.split("\n").includes(tooLarge), enrolled.err);
    assert.doesNotMatch(verified.err + enrolled.err, /corrupt|truncated/);
  });

  it("limits.max_image_pixels from the configuration sets the limit", async () => {
    const png = await writeBlankPng(path.join(dir, "wide.png"), 640, 480);
    const config = path.join(dir, "limits.yaml");
    await writeFile(config, "limits:\n  max_image_pixels: 100000\n");
    const r = await runCli(["verify", "--config", config, png, png]);
    assert.equal(r.code, 1);
    assert.match(
      lastLine(r.err),
      /wide\.png: image is 640×480 = 0\.3 MP, above the limit of 0\.1 MP \(config key limits\.max_image_pixels\)/,
    );
  });
});
