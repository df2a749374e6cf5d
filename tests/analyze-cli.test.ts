import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { chromium } from "playwright-core";
import { renderLobby } from "./helpers/lobby-video.ts";
import { runCli } from "./helpers/run-cli.ts";

const cli = (args: string[], limitMs?: number) => runCli(args, limitMs);

/** ffmpeg processes whose command line mentions `needle` (orphans of a run). */
function ffmpegProcessesWith(needle: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", "ffmpeg"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(needle));
  } catch {
    return [];
  }
}

/** The words of a command line as a POSIX shell reads them (bare words and single quotes, as the report writes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/(?:[^\s']+|'[^']*')+/g))
    words.push(m[0].replace(/'([^']*)'|([^']+)/g, (_, quoted, bare) => quoted ?? bare));
  return words;
}

/** A track's row of the report page, as the page script sees it. */
type Row = { dataset: Record<string, string | undefined> };
/** The report page's video and list of rows, as the page script sees them. */
type Player = {
  readyState: number;
  duration: number;
  currentTime: number;
  seeking: boolean;
  addEventListener(type: string, listener: (e: unknown) => void): void;
};
type List = { children: ArrayLike<unknown> & Iterable<unknown>; append(node: unknown): void };

const unescapeHtml = (s: string) =>
  s.replace(
    /&(lt|gt|amp|quot|#39);/g,
    (_, e) => ({ lt: "<", gt: ">", amp: "&", quot: '"', "#39": "'" })[e as string] as string,
  );

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("facetracker analyze and enroll --from-video (generated video)", () => {
  let dir: string;
  let video: string;
  let db: string;
  /** The report and annotated copy of the first run (out/report.html, out/annotated.mp4). */
  let report: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-analyze-"));
    db = path.join(dir, "gallery");
    video = path.join(dir, "lobby.mp4");
    const { amy } = await renderLobby(video, { frames: 60 });
    // Only amy is enrolled, from a mirrored copy of her picture.
    const photo = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, photo);
    const r = await cli(["enroll", "--db", db, "--name", "amy", photo]);
    assert.equal(r.code, 0, r.err);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the JSON result, an HTML report and an annotated H.264 video, with progress on stderr", async () => {
    const json = path.join(dir, "out/result.json");
    report = path.join(dir, "out/report.html");
    const annotated = path.join(dir, "out/annotated.mp4");
    const r = await cli([
      "analyze",
      "--db",
      db,
      "--json",
      json,
      "--report",
      report,
      "--annotate",
      annotated,
      video,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /lobby\.mp4: \[#*-*\] \d+\/60 frames|lobby\.mp4: 60 frames, 2 tracks/);
    assert.match(r.err, /lobby\.mp4: 60 frames, 2 tracks, \d+ embeddings, [\d.]+ fps/);

    const doc = JSON.parse(await readFile(json, "utf8"));
    assert.deepEqual(Object.keys(doc), ["tracks", "stats"]);
    assert.deepEqual(Object.keys(doc.stats), [
      "frames",
      "detections",
      "embeddings",
      "fps",
      "lost_frames",
      "corrupt_frames",
      "damaged_ranges",
    ]);
    assert.equal(doc.stats.frames, 60);
    assert.deepEqual([doc.stats.lost_frames, doc.stats.corrupt_frames, doc.stats.damaged_ranges], [0, 0, []]);
    assert.equal(doc.tracks.length, 2);
    for (const t of doc.tracks) {
      assert.deepEqual(Object.keys(t), [
        "track_id",
        "identity",
        "closest",
        "undetermined",
        "first_frame",
        "last_frame",
        "first_time",
        "last_time",
        "frames",
      ]);
      assert.ok(t.last_frame >= 55 && t.first_frame <= 2, JSON.stringify(t));
      assert.ok(Math.abs(t.last_time - t.last_frame / 25) < 0.05);
    }
    const names = doc.tracks
      .map((t: { identity: { name: string } | null }) => t.identity?.name ?? null)
      .sort();
    assert.deepEqual(names, ["amy", null]);
    // The unknown face (bea) says who it came closest to: amy, the one person enrolled, below the threshold.
    const unknown = doc.tracks.find((t: { identity: unknown }) => t.identity === null);
    assert.equal(unknown.closest?.name, "amy", JSON.stringify(unknown));
    assert.ok(unknown.closest.similarity < 0.36, JSON.stringify(unknown.closest));
    assert.match(r.out, new RegExp(`track ${unknown.track_id}: unknown — closest: amy 0\\.\\d\\d,`));
    // Adaptive re-identification: far fewer embeddings than tracked faces (detection may run on a
    // stride, with the tracker carrying boxes between, so detections are not the basis).
    const trackedFaces = doc.tracks.reduce(
      (n: number, t: { first_frame: number; last_frame: number }) => n + t.last_frame - t.first_frame + 1,
      0,
    );
    assert.ok(
      doc.stats.embeddings < trackedFaces / 4,
      `embeddings ${doc.stats.embeddings}, tracked faces ${trackedFaces}`,
    );

    const html = await readFile(report, "utf8");
    assert.match(html, /<title>Faces in lobby\.mp4<\/title>/);
    assert.equal(html.match(/<img src="data:image\/jpeg;base64,/g)?.length, 2);
    assert.match(html, /#\d+ amy/);
    assert.match(html, new RegExp(`#${unknown.track_id} unknown <small>— closest: amy 0\\.\\d\\d</small>`));
    // The annotated copy beside it plays in the page; the video is 60 frames at 25 fps.
    assert.match(html, /<video id="player" controls preload="metadata" src="annotated\.mp4">/);
    assert.match(html, /<body data-span="2\.4">/);
    // Exact times: the unknown face's first and last sighting, in milliseconds.
    const ms = (t: number) => `0:0${Math.floor(t)}.${String(Math.round((t % 1) * 1000)).padStart(3, "0")}`;
    assert.match(html, new RegExp(`data-t="${unknown.first_time}" data-label="${ms(unknown.first_time)}"`));
    assert.match(html, new RegExp(`data-t="${unknown.last_time}" data-label="${ms(unknown.last_time)}"`));

    const probe = JSON.parse(
      execFileSync(
        "ffprobe",
        [
          "-v",
          "error",
          "-select_streams",
          "v:0",
          "-count_frames",
          "-show_entries",
          "stream=codec_name,width,height,nb_read_frames",
          "-of",
          "json",
          annotated,
        ],
        { encoding: "utf8" },
      ),
    ).streams[0];
    assert.deepEqual(probe, { codec_name: "h264", width: 640, height: 360, nb_read_frames: "60" });
  });

  it("the report page: a click on the timeline plays the annotated copy from that moment; filter and sort by name", async () => {
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      // A Content-Security-Policy violation (the page's own script refused, say) is a console error.
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      await page.goto(pathToFileURL(report).href);
      // The annotated copy loads (a relative file:// URL, H.264): 60 frames at 25 fps.
      const player = page.locator("#player");
      await player.evaluate(
        (v: Player) =>
          new Promise((loaded) => {
            if (v.readyState >= 1) loaded(true);
            else v.addEventListener("loadedmetadata", loaded);
          }),
      );
      const duration = await player.evaluate((v: Player) => v.duration);
      assert.ok(Math.abs(duration - 2.4) < 0.05, `duration ${duration}`);
      const current = () => player.evaluate((v: Player) => v.currentTime);
      // The seek is done (the video could go there).
      const settled = () =>
        player.evaluate(
          (v: Player) =>
            new Promise((done) => {
              if (!v.seeking) done(true);
              else v.addEventListener("seeked", done);
            }),
        );

      // A click on the unknown face's bar, 10 px into it: the video at that moment of the timeline.
      const bar = page.locator(".track.unknown .bar").first();
      const start = Number(await bar.getAttribute("data-t"));
      const lane = (await page.locator(".track.unknown .lane").boundingBox()) as { x: number; width: number };
      const barBox = (await bar.boundingBox()) as { x: number };
      await bar.click({ position: { x: 10, y: 5 } });
      const expected = ((barBox.x + 10 - lane.x) / lane.width) * 2.4;
      const atBar = await current();
      // Within 2 px of the pointer (the click lands on whole pixels).
      const px = 2.4 / lane.width;
      assert.ok(atBar > start && Math.abs(atBar - expected) <= 2 * px, `${atBar} s, expected ${expected} s`);
      await settled();
      // A click on a time (amy's last sighting): exactly there.
      const last = page.locator(".track.known .info p button.t").nth(1);
      const lastT = Number(await last.getAttribute("data-t"));
      await last.click();
      assert.equal(await current(), lastT);
      await settled();
      const playhead = await page.locator("#playhead").getAttribute("style");
      assert.match(playhead ?? "", /left: \d/);

      // Filter by name: only amy's row stays.
      const visible = () =>
        page
          .locator(".track:visible")
          .evaluateAll((rows) => rows.map((r) => (r as unknown as Row).dataset.name));
      await page.fill("#filter", "AM");
      assert.deepEqual(await visible(), ["amy"]);
      await page.fill("#filter", "nobody");
      assert.deepEqual(await visible(), []);
      await page.fill("#filter", "");
      assert.equal((await visible()).length, 2);
      // Sorting puts the rows back in order whatever order they are in.
      const reverse = () =>
        page.locator("#tracks").evaluate((list: List) => {
          for (const row of [...list.children].reverse()) list.append(row);
        });
      const rows = () =>
        page.locator(".track").evaluateAll((all) =>
          all.map((r) => {
            const d = (r as unknown as Row).dataset;
            return { name: d.name as string, first: Number(d.first), duration: Number(d.duration) };
          }),
        );
      await reverse();
      await page.selectOption("#sort", "name");
      assert.deepEqual(
        (await rows()).map((r) => r.name),
        ["amy", "unknown"],
      );
      await reverse();
      await page.selectOption("#sort", "duration");
      const byDuration = await rows();
      assert.ok((byDuration[0]?.duration ?? 0) >= (byDuration[1]?.duration ?? 0), JSON.stringify(byDuration));
      await reverse();
      await page.selectOption("#sort", "first");
      const byFirst = await rows();
      assert.ok((byFirst[0]?.first ?? 0) <= (byFirst[1]?.first ?? 0), JSON.stringify(byFirst));
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it("enrolls a person from a track of the video, who is then recognised", async () => {
    // --json -: the document alone on stdout (the lines for people go to stderr).
    const run = await cli(["analyze", "--db", db, "--json", "-", "--quiet", video]);
    assert.equal(run.code, 0, run.err);
    const first = JSON.parse(run.out);
    assert.match(run.err, /track \d+: amy \(/);
    const unknown = first.tracks.find((t: { identity: unknown }) => t.identity === null);
    assert.ok(unknown, "an unknown track to enroll");
    // The enroll command the report gives for the track, as written (NAME: who it is).
    const html = await readFile(report, "utf8");
    const command = new RegExp(
      `<article class="track unknown" data-track="${unknown.track_id}"[\\s\\S]*?Enroll this face: <code>([^<]+)</code>`,
    ).exec(html)?.[1];
    assert.ok(command, "the report's enroll command of the unknown track");
    const words = shellWords(unescapeHtml(command));
    assert.deepEqual(words.slice(0, 2), ["facetracker", "enroll"]);
    const r = await cli(words.slice(1).map((w) => (w === "NAME" ? "bea" : w)));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /bea: created, [1-3] embeddings from track \d+/);
    const again = await cli(["analyze", "--db", db, "--quiet", video]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, new RegExp(`track ${unknown.track_id}: bea \\(`));
    const missing = await cli(["enroll", "--db", db, "--name", "x", "--from-video", video, "--track", "99"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no track 99 in .*lobby\.mp4 \(tracks: \d+, \d+\)/);
  });

  describe("bad input: a clear error, no hang, no ffmpeg left behind", () => {
    it("a missing file", async () => {
      const r = await cli(["analyze", "--db", db, path.join(dir, "nope.mp4")]);
      assert.equal(r.code, 1);
      assert.match(r.err.trim(), /^facetracker: .*nope\.mp4.*(not found|no such file)/i);
    });

    it("a file that is not a video", async () => {
      const text = path.join(dir, "notes.mp4");
      await writeFile(text, "meeting notes, not a video\n".repeat(50));
      const r = await cli(["analyze", "--db", db, text]);
      assert.equal(r.code, 1);
      assert.match(
        r.err.trim().split("\n").at(-1) as string,
        /^facetracker: .*notes\.mp4.*(not a (video|media)|damaged)/i,
      );
      assert.deepEqual(ffmpegProcessesWith("notes.mp4"), []);
    });

    it("a truncated video", async () => {
      const cut = path.join(dir, "cut.mp4");
      const bytes = await readFile(video);
      await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const r = await cli(["analyze", "--db", db, "--quiet", cut]);
      // Either the frames before the damage are analysed, or the run stops with an error naming the file.
      if (r.code === 0) assert.match(r.out, /track \d+/);
      else assert.match(r.err, /facetracker: .*cut\.mp4/);
      assert.deepEqual(ffmpegProcessesWith("cut.mp4"), []);
    });

    it("an unreachable RTSP camera", async () => {
      const url = `rtsp://127.0.0.1:${await closedPort()}/lobby`;
      const r = await cli(["analyze", "--db", db, url], 60_000);
      assert.equal(r.code, 1);
      assert.match(
        r.err.trim(),
        /^facetracker: .*rtsp:\/\/127\.0\.0\.1:\d+\/lobby.*(unreachable|refused|timed out)/i,
      );
      assert.deepEqual(ffmpegProcessesWith(url), []);
    });
  });
});
