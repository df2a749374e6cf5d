/**
 * The annotated copy of a video file (findFacesInFile's `annotate`, `facetracker analyze --annotate`): ffmpeg
 * draws each analysed frame's labels over the file's own frames and keeps its audio. Checked on a generated
 * scene with a sound track: the copy has the source's frames and an audio stream; the face boxes are drawn
 * where the faces are and the faces themselves are left as they were; made in parts (encoded while the
 * analysis goes on, then joined), each frame keeps its timestamp and carries its own labels (a marker box
 * that moves 8 px a frame is found on the frame it was given for, not on a neighbour).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { VideoSource } from "@facetracker/media";
import type { FrameResult } from "@facetracker/pipeline";
import { FaceTracker } from "@facetracker/sdk";
import { type Box, FACE_COLORS, type FaceAnalyzer, faceLabel, type RgbImage } from "@facetracker/vision";
import { renderLobby } from "./helpers/lobby-video.ts";

const FRAMES = 40;

/** A box that moves 8 px to the right on each frame (10 positions, then again), on the empty floor. */
const marker = (index: number): Box => {
  const x = 20 + 8 * (index % 10);
  return [x, 300, x + 30, 340];
};

function ffprobeStreams(file: string): { codec_type: string; codec_name: string; nb_read_frames?: string }[] {
  const out = execFileSync(
    "ffprobe",
    [
      "-v",
      "error",
      "-count_frames",
      "-show_entries",
      "stream=codec_type,codec_name,nb_read_frames",
      "-of",
      "json",
      file,
    ],
    { encoding: "utf8" },
  );
  return JSON.parse(out).streams;
}

/** The video frames' timestamps, as ffprobe reads them. */
function frameTimes(file: string): string[] {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", file],
    { encoding: "utf8" },
  );
  return out
    .split("\n")
    .map((l) => l.replace(/,$/, "").trim())
    .filter((l) => l !== "");
}

/** Every frame of the copy keeps its time in the file (to a millisecond: the parts' 90 kHz clock). */
function assertSameTimes(copy: string, source: string): void {
  const [a, b] = [frameTimes(copy).map(Number), frameTimes(source).map(Number)];
  assert.equal(a.length, b.length, "frames");
  for (const [i, t] of a.entries()) {
    assert.ok(Math.abs(t - (b[i] as number)) < 0.001, `frame ${i} at ${t} s, in the file at ${b[i]} s`);
  }
}

async function frames(file: string): Promise<RgbImage[]> {
  const source = await VideoSource.open(file);
  const out: RgbImage[] = [];
  for await (const frame of source.frames()) out.push(frame);
  return out;
}

const at = (image: RgbImage, x: number, y: number) => {
  const o = (Math.round(y) * image.width + Math.round(x)) * 3;
  return [image.data[o] as number, image.data[o + 1] as number, image.data[o + 2] as number] as const;
};

/** Mean redness (R minus the mean of G and B) over points. */
const redness = (image: RgbImage, points: [number, number][]) =>
  points.reduce((sum, [x, y]) => {
    const [r, g, b] = at(image, x, y);
    return sum + r - (g + b) / 2;
  }, 0) / points.length;

/** Mean absolute difference of two frames over a rectangle. */
function meanDifference(a: RgbImage, b: RgbImage, [x1, y1, x2, y2]: Box): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.round(y1); y < Math.round(y2); y++) {
    for (let x = Math.round(x1); x < Math.round(x2); x++) {
      const p = at(a, x, y);
      const q = at(b, x, y);
      sum += Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]);
      n += 3;
    }
  }
  return sum / n;
}

describe("annotated copy of a video file (labels drawn by ffmpeg, audio kept)", () => {
  let dir: string;
  let analyzer: FaceAnalyzer;
  let video: string;
  let silent: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-annotated-"));
    silent = path.join(dir, "silent.mp4");
    ({ analyzer } = await renderLobby(silent, { frames: FRAMES }));
    // The same scene with a sound track (a 440 Hz tone, AAC), a key frame every 6 frames (where the parts
    // of a copy made in parts are cut).
    video = path.join(dir, "lobby.mp4");
    execFileSync("ffmpeg", [
      ...[
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        silent,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=5",
      ],
      ...["-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", "6", "-crf", "18"],
      ...["-c:a", "aac", "-shortest", "-y", video],
    ]);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function annotate(
    input: string,
    output: string,
    partS?: number,
    stop?: AbortController,
  ): Promise<Map<number, Box[]>> {
    const tracker = await FaceTracker.create({ db_path: path.join(dir, "gallery") }, { analyzer });
    const boxes = new Map<number, Box[]>();
    const labels = (r: FrameResult) => [
      ...r.tracks
        .filter((t) => t.state === "confirmed")
        .map((t) => faceLabel("unknown", t.box, { trackId: t.trackId })),
      faceLabel("unknown", marker(r.index), {}, "m"),
    ];
    try {
      await tracker.findFacesInFile(input, {
        annotate: { output, labels, ...(partS === undefined ? {} : { partS }) },
        ...(stop ? { signal: stop.signal } : {}),
        onFrame: (r) => {
          // A stream does not end by itself: its analysis is stopped after the scene's last frame.
          if (r.index === FRAMES - 1) stop?.abort();
          boxes.set(
            r.index,
            r.tracks.filter((t) => t.state === "confirmed").map((t) => t.box),
          );
        },
      });
    } finally {
      await tracker.close();
    }
    return boxes;
  }

  it("has the source's frames and its audio, the boxes drawn on the faces' outline, the faces left as they were", async () => {
    const output = path.join(dir, "annotated.mp4");
    const boxes = await annotate(video, output);
    const streams = ffprobeStreams(output);
    assert.deepEqual(
      streams.map((s) => [s.codec_type, s.codec_name]),
      [
        ["video", "h264"],
        ["audio", "aac"],
      ],
    );
    assert.equal(streams[0]?.nb_read_frames, String(FRAMES));

    const [source, copy] = [await frames(video), await frames(output)];
    assert.equal(copy.length, FRAMES);
    let checked = 0;
    for (const index of [10, 25, 39]) {
      const [src, out] = [source[index] as RgbImage, copy[index] as RgbImage];
      const faces = boxes.get(index) ?? [];
      assert.equal(faces.length, 2, `two confirmed faces on frame ${index}`);
      for (const [x1, y1, x2, y2] of faces) {
        // The outline: the box's left and right edges turn red (unknown: FACE_COLORS.unknown).
        const edge: [number, number][] = [];
        for (let y = y1 + 6; y < y2 - 6; y += 3) edge.push([x1, y], [x2, y]);
        assert.ok(
          redness(out, edge) > redness(src, edge) + 40,
          `frame ${index}: box ${[x1, y1, x2, y2].map(Math.round)} drawn (redness ${redness(src, edge).toFixed(0)} → ${redness(out, edge).toFixed(0)})`,
        );
        // Inside the box, the face is the source's (only the re-encoding differs).
        const w = x2 - x1;
        const h = y2 - y1;
        const inside: Box = [x1 + w / 4, y1 + h / 4, x2 - w / 4, y2 - h / 4];
        assert.ok(
          meanDifference(src, out, inside) < 10,
          `frame ${index}: the face inside its box is untouched`,
        );
        checked++;
      }
    }
    assert.equal(checked, 6);
    assert.equal(FACE_COLORS.unknown, "#d73027", "the colour checked is the unknown kind's red");
  });

  it("made in parts (encoded during the analysis, then joined): each frame's own labels, the source's timestamps and audio", async () => {
    const output = path.join(dir, "marker.mp4");
    // Parts of half a second: 4 parts for the 1.6 s scene.
    await annotate(video, output, 0.5);
    assert.deepEqual(
      ffprobeStreams(output).map((s) => [s.codec_type, s.codec_name, s.nb_read_frames]),
      [
        ["video", "h264", String(FRAMES)],
        ["audio", "aac", ffprobeStreams(video)[1]?.nb_read_frames],
      ],
    );
    assertSameTimes(output, video);
    await assertOwnMarkers(video, output);
  });

  it("times the labels right when the video starts after its audio (first frame at 0.6 s)", async () => {
    const late = path.join(dir, "late.mp4");
    execFileSync("ffmpeg", [
      ...[
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        silent,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=3",
      ],
      ...[
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-vf",
        "setpts=PTS+0.6/TB",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
      ],
      // No key frame after the first: the parts are cut by length alone.
      ...["-c:a", "aac", "-y", late],
    ]);
    const output = path.join(dir, "late-annotated.mp4");
    await annotate(late, output, 0.5);
    assertSameTimes(output, late);
    assert.equal(frameTimes(late)[0], "0.600000");
    await assertOwnMarkers(late, output);
  });

  /** A marker box moving 8 px a frame is on the frame it was given for, not on a neighbour. */
  async function assertOwnMarkers(video: string, output: string): Promise<void> {
    const [source, copy] = [await frames(video), await frames(output)];
    assert.equal(copy.length, FRAMES);
    for (let index = 0; index < FRAMES; index++) {
      const [src, out] = [source[index] as RgbImage, copy[index] as RgbImage];
      const leftEdge = (box: Box): [number, number][] =>
        [306, 312, 318, 324, 330, 336].map((y) => [box[0], y] as [number, number]);
      const own = redness(out, leftEdge(marker(index))) - redness(src, leftEdge(marker(index)));
      // The neighbours' markers are 8 px to the left and right (outside this one's outline).
      const before = marker(index - 1);
      const next = marker(index + 1);
      const others = [before, next]
        .filter((b) => Math.abs(b[0] - marker(index)[0]) === 8)
        .map((b) => redness(out, leftEdge(b)) - redness(src, leftEdge(b)));
      assert.ok(own > 60, `frame ${index}: its marker is drawn (redness +${own.toFixed(0)})`);
      for (const other of others) {
        assert.ok(
          other < 25,
          `frame ${index}: a neighbour's marker is not drawn (redness +${other.toFixed(0)})`,
        );
      }
    }
  }

  it("draws a stream's frames as they are analysed (it cannot be read twice): no audio, the boxes on the faces", async () => {
    // The silent scene (its index at the front) served over HTTP: an http:// source, not a file.
    const server = http.createServer(async (_req, res) => {
      const body = await readFile(silent);
      res.writeHead(200, { "content-type": "video/mp4", "content-length": body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const output = path.join(dir, "from-stream.mp4");
    try {
      const boxes = await annotate(
        `http://127.0.0.1:${port}/lobby.mp4`,
        output,
        undefined,
        new AbortController(),
      );
      assert.deepEqual(
        ffprobeStreams(output).map((s) => [s.codec_type, s.codec_name, s.nb_read_frames]),
        [["video", "h264", String(FRAMES)]],
      );
      const [source, copy] = [await frames(silent), await frames(output)];
      const [src, out] = [source[25] as RgbImage, copy[25] as RgbImage];
      const faces = boxes.get(25) ?? [];
      assert.equal(faces.length, 2);
      for (const [x1, y1, x2, y2] of faces) {
        const edge: [number, number][] = [];
        for (let y = y1 + 6; y < y2 - 6; y += 3) edge.push([x1, y], [x2, y]);
        assert.ok(redness(out, edge) > redness(src, edge) + 40, "the box is drawn");
      }
    } finally {
      server.close();
    }
  });

  it("encodes an audio codec that MP4 cannot hold as it is (PCM in Matroska) to AAC", async () => {
    const mkv = path.join(dir, "lobby-pcm.mkv");
    execFileSync("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-i", video, "-map", "0:v", "-map", "0:a"],
      ...["-c:v", "copy", "-c:a", "pcm_s16le", "-y", mkv],
    ]);
    const output = path.join(dir, "from-mkv.mp4");
    await annotate(mkv, output);
    assert.deepEqual(
      ffprobeStreams(output).map((s) => [s.codec_type, s.codec_name]),
      [
        ["video", "h264"],
        ["audio", "aac"],
      ],
    );
  });
});
