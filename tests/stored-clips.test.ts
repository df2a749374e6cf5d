/**
 * Stored alert clips from the SDK and the CLI: a generated face video (+ its .json and an annotated copy)
 * stored in a real S3 server (s3rver) under a clip key, then listed, analysed (`analyze s3://…`,
 * `FaceTracker.findFacesInClip`), downloaded, enrolled from and deleted; the same for a local directory.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ClipStorageError, clipKey, LocalClipStorage, S3ClipStorage } from "@facetracker/clips";
import { FaceTracker } from "@facetracker/sdk";
import { type S3TestServer, startS3Server } from "@facetracker/testing/clips";
import { renderLobby } from "./helpers/lobby-video.ts";
import { runCli } from "./helpers/run-cli.ts";

interface JsonTrack {
  track_id: number;
  identity: { name: string; similarity: number } | null;
  first_frame: number;
  last_frame: number;
  frames: number;
}

/** The parts of analyze's tracks that must not depend on where the video came from. */
function trackShape(tracks: JsonTrack[]) {
  return tracks.map((t) => ({
    track_id: t.track_id,
    name: t.identity?.name ?? null,
    first_frame: t.first_frame,
    last_frame: t.last_frame,
    frames: t.frames,
  }));
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Capture time of the stored clip's first frame (its side file says so). */
const CLIP_START_MS = Date.UTC(2026, 10, 24, 10, 14, 58, 250);

describe("stored clips in S3 (s3rver): list, analyze, findFacesInClip, download, enroll, delete", () => {
  let dir: string;
  let video: string;
  let results: string;
  let db: string;
  let configFile: string;
  let s3: S3TestServer;
  let storage: S3ClipStorage;
  const base = clipKey("cam1", Date.UTC(2026, 10, 24, 10, 15, 0), "cam1-3-42", "");
  const older = clipKey("cam2", Date.UTC(2026, 10, 20, 8, 0, 5), "cam2-1-7", "");
  const cli = (args: string[], config = configFile) => runCli([...args, "--config", config]);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-stored-clips-"));
    db = path.join(dir, "gallery");
    video = path.join(dir, "lobby.mp4");
    await renderLobby(video, { frames: 50 }); // amy walks, bea stands: two tracks
    results = path.join(dir, "lobby.json");
    // The side file: each frame's capture time (what the report shows as the wall clock), 3 ms after 40 ms steps.
    const perFrame = Array.from({ length: 50 }, (_, index) => ({
      index,
      time_ms: CLIP_START_MS + index * 40 + 3,
    }));
    await writeFile(
      results,
      `${JSON.stringify({ version: 1, alert: "cam1-3-42", start_ms: CLIP_START_MS + 3, end_ms: CLIP_START_MS + 49 * 40 + 3, per_frame: perFrame })}\n`,
    );
    s3 = await startS3Server();
    storage = new S3ClipStorage({
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
    });
    await storage.put(`${base}.json`, results, "application/json");
    await storage.put(`${base}.annotated.mp4`, video, "video/mp4");
    await storage.put(`${base}.mp4`, video, "video/mp4");
    await storage.put(`${older}.mp4`, video, "video/mp4");
    configFile = path.join(dir, "config.yaml");
    await writeFile(
      configFile,
      [
        `db_path: ${JSON.stringify(db)}`,
        "storage:",
        `  endpoint: ${s3.endpoint}`,
        `  bucket: ${s3.bucket}`,
        `  access_key: ${s3.accessKey}`,
        `  secret_key: ${s3.secretKey}`,
        "",
      ].join("\n"),
    );
  });
  after(async () => {
    await storage?.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("clips list shows each clip once, with its files, filtered by camera and time", async () => {
    const r = await cli(["clips", "list"]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n");
    assert.equal(lines.length, 2, r.out);
    assert.match(lines[0] as string, new RegExp(`^${older} +2026-11-20 08:00:05Z +[\\d.]+ KiB +\\.mp4$`));
    assert.match(
      lines[1] as string,
      new RegExp(`^${base} +2026-11-24 10:15:00Z +[\\d.]+ KiB +\\.mp4 \\.json \\.annotated\\.mp4$`),
    );
    assert.match(
      r.err,
      /2 clips \(4 files, [\d.]+ KiB\) in S3 http:\/\/127\.0\.0\.1:\d+ bucket "facetracker-clips-test"/,
    );

    const json = await cli(["clips", "list", "--json", "--camera", "cam1"]);
    assert.equal(json.code, 0, json.err);
    const doc = JSON.parse(json.out);
    assert.equal(doc.length, 1);
    assert.equal(doc[0].key, base);
    assert.equal(doc[0].camera, "cam1");
    assert.equal(doc[0].time, "2026-11-24T10:15:00.000Z");
    assert.deepEqual(
      doc[0].files.map((f: { key: string }) => f.key),
      [`${base}.mp4`, `${base}.json`, `${base}.annotated.mp4`],
    );
    assert.equal(
      doc[0].size,
      doc[0].files.reduce((n: number, f: { size: number }) => n + f.size, 0),
    );

    const since = await cli(["clips", "list", "--since", "2026-11-21"]);
    assert.equal(since.code, 0, since.err);
    assert.deepEqual(
      since.out
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
      [base],
    );
    const none = await cli(["clips", "list", "--camera", "cam9"]);
    assert.equal(none.code, 0, none.err);
    assert.equal(none.out, "");
    assert.match(none.err, /no clips of camera cam9 in S3 /);

    const bad = await cli(["clips", "list", "--since", "yesterday"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--since: expected a date .* got 'yesterday'/);
  });

  it("analyze s3://BUCKET/KEY finds the same tracks as analyzing the local file", async () => {
    const local = await cli(["analyze", "--quiet", "--json", path.join(dir, "local.json"), video]);
    assert.equal(local.code, 0, local.err);
    const json = path.join(dir, "s3.json");
    const report = path.join(dir, "s3.html");
    const r = await cli(["analyze", "--json", json, "--report", report, `s3://${s3.bucket}/${base}.mp4`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`downloading ${base}\\.mp4 from S3 `));
    assert.match(r.err, /101500-cam1-3-42\.mp4: 50 frames, 2 tracks/);
    const fromLocal = JSON.parse(await readFile(path.join(dir, "local.json"), "utf8"));
    const fromS3 = JSON.parse(await readFile(json, "utf8"));
    assert.equal(fromS3.tracks.length, 2);
    assert.deepEqual(trackShape(fromS3.tracks), trackShape(fromLocal.tracks));
    assert.equal(fromS3.stats.frames, 50);
    const html = await readFile(report, "utf8");
    assert.match(html, /<title>Faces in 101500-cam1-3-42\.mp4<\/title>/);
    // Times on the wall clock: each track's first frame's capture time, from the clip's side file.
    for (const t of fromS3.tracks) {
      const iso = new Date(CLIP_START_MS + t.first_frame * 40 + 3).toISOString();
      assert.match(html, new RegExp(`data-t="${t.first_time}" data-label="${iso}"`));
    }
    // The enroll command names the clip as given.
    assert.match(html, new RegExp(`--from-video s3://${s3.bucket}/${base}\\.mp4 --track \\d`));

    // The base key through clip: reads the same video.
    const byKey = await cli(["analyze", "--quiet", "--json", path.join(dir, "key.json"), `clip:${base}`]);
    assert.equal(byKey.code, 0, byKey.err);
    const fromKey = JSON.parse(await readFile(path.join(dir, "key.json"), "utf8"));
    assert.deepEqual(trackShape(fromKey.tracks), trackShape(fromLocal.tracks));
  });

  it("FaceTracker.findFacesInClip analyses a stored clip like findFacesInFile, removing its download", async () => {
    const tracker = await FaceTracker.create({
      db_path: db,
      storage: {
        endpoint: s3.endpoint,
        bucket: s3.bucket,
        access_key: s3.accessKey,
        secret_key: s3.secretKey,
      },
    });
    const tempDir = path.join(dir, "tmp");
    await mkdir(tempDir);
    try {
      const fromFile = await tracker.findFacesInFile(video);
      const downloads: string[] = [];
      const fromClip = await tracker.findFacesInClip(base, {
        tempDir,
        onDownload: (d) => downloads.push(d.key),
      });
      assert.deepEqual(downloads, [`${base}.mp4`]);
      assert.equal(fromClip.source, `s3://${s3.bucket}/${base}.mp4`);
      assert.deepEqual(fromClip.clip, {
        key: base,
        videoKey: `${base}.mp4`,
        storage: storage.describe(),
      });
      const shape = (faces: typeof fromFile.faces) =>
        faces.map((f) => [f.trackId, f.firstFrame, f.lastFrame, f.frames, f.identity?.name ?? null]);
      assert.equal(fromClip.faces.length, 2);
      assert.deepEqual(shape(fromClip.faces), shape(fromFile.faces));
      assert.equal(fromClip.stats.frames, 50);
      assert.deepEqual(await readdir(tempDir), [], "the downloaded video is removed");

      const viaUrl = await tracker.findFacesInClip(`s3://${s3.bucket}/${base}.json`, { tempDir });
      assert.deepEqual(shape(viaUrl.faces), shape(fromFile.faces));

      await assert.rejects(
        tracker.findFacesInClip("cam1/2026-11-24/000000-nope.mp4", { tempDir }),
        (error: unknown) => {
          assert.ok(error instanceof ClipStorageError);
          assert.equal(error.code, "NoSuchKey");
          assert.match(
            error.message,
            /^no clip cam1\/2026-11-24\/000000-nope\.mp4 in S3 http:\/\/127\.0\.0\.1:\d+ bucket "facetracker-clips-test"/,
          );
          return true;
        },
      );
      assert.deepEqual(await readdir(tempDir), []);
    } finally {
      await tracker.close();
    }
  });

  it("clips download writes all the files of the clip", async () => {
    const out = path.join(dir, "downloaded");
    const r = await cli(["clips", "download", "--out", out, `${base}.mp4`]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((await readdir(out)).sort(), [
      "101500-cam1-3-42.annotated.mp4",
      "101500-cam1-3-42.json",
      "101500-cam1-3-42.mp4",
    ]);
    const original = await readFile(video);
    assert.deepEqual(await readFile(path.join(out, "101500-cam1-3-42.mp4")), original);
    assert.deepEqual(await readFile(path.join(out, "101500-cam1-3-42.annotated.mp4")), original);
    assert.deepEqual(await readFile(path.join(out, "101500-cam1-3-42.json")), await readFile(results));
    assert.match(r.out, new RegExp(`${base}\\.json -> ${out}/101500-cam1-3-42\\.json`));
  });

  it("enroll --from-video clip:KEY enrolls a track of the stored clip", async () => {
    const json = path.join(dir, "before.json");
    const first = await cli(["analyze", "--quiet", "--json", json, `clip:${base}.mp4`]);
    assert.equal(first.code, 0, first.err);
    const tracks: JsonTrack[] = JSON.parse(await readFile(json, "utf8")).tracks;
    const unknown = tracks.find((t) => t.identity === null);
    assert.ok(unknown, "an unknown track to enroll");
    const r = await cli([
      "enroll",
      "--name",
      "bea",
      "--from-video",
      `clip:${base}`,
      "--track",
      String(unknown.track_id),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /bea: created, [1-3] embeddings from track \d+/);
    const again = await cli(["analyze", "--quiet", `s3://${s3.bucket}/${base}`]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, new RegExp(`track ${unknown.track_id}: bea \\(`));

    const missing = await cli(["enroll", "--name", "x", "--from-video", `clip:${base}`, "--track", "99"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, new RegExp(`no track 99 in clip:${base} \\(tracks: \\d+, \\d+\\)`));
  });

  it("an unknown key, a bad key or another bucket: one clear line and exit code 1 (2 for usage)", async () => {
    const nope = "cam1/2026-11-24/000000-nope";
    for (const args of [
      ["analyze", `clip:${nope}`],
      ["clips", "download", "--out", path.join(dir, "nothing"), nope],
      ["clips", "delete", "--yes", nope],
      ["enroll", "--name", "x", "--from-video", `s3://${s3.bucket}/${nope}.mp4`, "--track", "1"],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
      assert.match(
        r.err.trim().split("\n").at(-1) as string,
        new RegExp(
          `^facetracker: no clip ${nope}(\\.mp4)? in S3 http://127\\.0\\.0\\.1:\\d+ bucket "facetracker-clips-test"`,
        ),
        args.join(" "),
      );
    }
    // A clip whose video is not there (yet): says which files it has.
    const partial = clipKey("cam3", Date.UTC(2026, 10, 24, 12, 0, 0), "cam3-1-1", "");
    await storage.put(`${partial}.json`, results, "application/json");
    try {
      const onlyJson = await cli(["analyze", `clip:${partial}`]);
      assert.equal(onlyJson.code, 1);
      assert.match(
        onlyJson.err.trim().split("\n").at(-1) as string,
        new RegExp(
          `^facetracker: clip ${partial} in S3 .* has no video ${partial}\\.mp4 \\(its files: \\.json\\)$`,
        ),
      );
    } finally {
      await storage.delete(`${partial}.json`);
    }

    const otherBucket = await cli(["analyze", "--quiet", `s3://no-such-bucket/${base}.mp4`]);
    assert.equal(otherBucket.code, 1);
    assert.match(otherBucket.err, /^facetracker: .*bucket "no-such-bucket".*NoSuchBucket/);

    const badKey = await cli(["clips", "download", "../etc/passwd"]);
    assert.equal(badKey.code, 1);
    assert.match(badKey.err, /^facetracker: invalid clip key "\.\.\/etc\/passwd"/);

    const noAction = await cli(["clips", "copy", base]);
    assert.equal(noAction.code, 2);
    assert.match(noAction.err, /unknown clips action 'copy'\nusage: facetracker clips list/);
    const wrongOption = await cli(["clips", "list", "--out", dir]);
    assert.equal(wrongOption.code, 2);
    assert.match(wrongOption.err, /clips list: --out is not an option of list/);
    const noKey = await cli(["clips", "download"]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /clips download: expected one clip, got 0/);
  });

  it("clips delete refuses without --yes off a terminal, and with --yes removes every file of the clip", async () => {
    const refused = await cli(["clips", "delete", base]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.err,
      new RegExp(`not deleting clip ${base} \\(\\.mp4 \\.json \\.annotated\\.mp4, .*without --yes`),
    );
    assert.equal((await storage.list(base)).length, 3);

    const r = await cli(["clips", "delete", "--yes", `s3://${s3.bucket}/${base}.json`]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split("\n"), [
      `deleted ${base}.mp4`,
      `deleted ${base}.json`,
      `deleted ${base}.annotated.mp4`,
    ]);
    assert.deepEqual(await storage.list("cam1/"), []);
    assert.deepEqual(
      (await storage.list()).map((o) => o.key),
      [`${older}.mp4`],
    );
    const list = await cli(["clips", "list"]);
    assert.equal(list.code, 0, list.err);
    assert.doesNotMatch(list.out, /cam1/);
  });

  it("an unreachable S3 endpoint: one line saying so, exit code 1", async () => {
    const down = path.join(dir, "down.yaml");
    const port = await closedPort();
    await writeFile(
      down,
      `storage:\n  endpoint: http://127.0.0.1:${port}\n  bucket: clips\n  access_key: a\n  secret_key: b\n`,
    );
    for (const args of [
      ["clips", "list"],
      ["analyze", `clip:${base}`],
    ]) {
      const r = await cli(args, down);
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err.trim().split("\n").at(-1) as string,
        new RegExp(
          `^facetracker: S3 endpoint http://127\\.0\\.0\\.1:${port} is unreachable \\(connection refused\\)`,
        ),
      );
    }
  });
});

describe("stored clips in a local directory: list and analyze clip:KEY", () => {
  let dir: string;
  let video: string;
  let configFile: string;
  const base = clipKey("door", Date.UTC(2026, 10, 24, 23, 59, 58), "door-9-1", "");

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-local-clips-"));
    video = path.join(dir, "lobby.mp4");
    await renderLobby(video, { frames: 50 }); // amy walks, bea stands: two tracks
    const storage = new LocalClipStorage(path.join(dir, "clips"));
    await storage.put(`${base}.mp4`, video, "video/mp4");
    configFile = path.join(dir, "config.yaml");
    await writeFile(
      configFile,
      `db_path: ${JSON.stringify(path.join(dir, "gallery"))}\nstorage:\n  endpoint: ${JSON.stringify(path.join(dir, "clips"))}\n`,
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lists the clip and analyses it in place with clip:KEY", async () => {
    const list = await runCli(["clips", "list", "--config", configFile]);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out.trim(), new RegExp(`^${base} +2026-11-24 23:59:58Z +[\\d.]+ KiB +\\.mp4$`));
    assert.match(list.err, new RegExp(`1 clip \\(1 files, .*\\) in local directory ${dir}/clips`));

    const local = await runCli([
      "analyze",
      "--config",
      configFile,
      "--quiet",
      "--json",
      path.join(dir, "local.json"),
      video,
    ]);
    assert.equal(local.code, 0, local.err);
    const json = path.join(dir, "clip.json");
    const r = await runCli(["analyze", "--config", configFile, "--json", json, `clip:${base}`]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /downloading/);
    assert.match(r.err, /235958-door-9-1: 50 frames, 2 tracks/);
    const fromClip = JSON.parse(await readFile(json, "utf8"));
    const fromFile = JSON.parse(await readFile(path.join(dir, "local.json"), "utf8"));
    assert.equal(fromClip.tracks.length, 2);
    assert.deepEqual(trackShape(fromClip.tracks), trackShape(fromFile.tracks));

    const missing = await runCli(["analyze", "--config", configFile, "clip:door/2026-11-24/000000-x"]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.err.trim(),
      new RegExp(`^facetracker: no clip door/2026-11-24/000000-x in local directory ${dir}/clips$`),
    );
    const s3Ref = await runCli(["analyze", "--config", configFile, `s3://bucket/${base}`]);
    assert.equal(s3Ref.code, 1);
    assert.match(
      s3Ref.err,
      /cannot read s3:\/\/bucket\/.*: the configured clip storage is a local directory/,
    );
  });
});
