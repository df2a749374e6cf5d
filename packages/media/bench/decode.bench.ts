/**
 * CPU per frame of reading a 720p 15 fps camera the way ingest did (VideoSource rgb24, then a sharp JPEG
 * encode of each frame) against the jpeg output (ffmpeg encodes, Node only splits the stream), the clip
 * read as fast as possible. Node's CPU is process.cpuUsage() (sharp's threads included); ffmpeg's is the
 * utime + stime of the child, which the kernel adds to this process's cutime + cstime (/proc/self/stat)
 * when the child is reaped: exact, with none of the last ticks lost to sampling /proc/<pid>/stat. The
 * modes alternate for a few rounds and the median is printed; the machine is noisy, read the ratios.
 *
 *   node packages/media/bench/decode.bench.ts [--seconds 20] [--rounds 3] [--quality 80] [--input clip.mp4]
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { tempDir, testVideo } from "@facetracker/testing/media";
import sharp from "sharp";
import { VideoSource } from "../src/video-source.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    rounds: { type: "string", default: "3" },
    quality: { type: "string", default: "80" },
    input: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const quality = Number(values.quality);
const CAMERA_FPS = 15;

const clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds of the reaped children of this process (cutime + cstime of /proc/self/stat). */
function childrenCpuS(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of proc(5), counted from 3 after the command name.
  return (Number(fields[13]) + Number(fields[14])) / clockTicks;
}

function processCpuS(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

interface Run {
  frames: number;
  bytes: number;
  nodeS: number;
  ffmpegS: number;
  wallS: number;
}

type Mode = { name: string; read: (input: string) => Promise<{ frames: number; bytes: number }> };

const modes: Mode[] = [
  {
    name: "rgb24, no encode (decode + pipe only)",
    read: async (input) => {
      const source = await VideoSource.open(input);
      let frames = 0;
      let bytes = 0;
      for await (const frame of source.frames()) {
        frames++;
        bytes += frame.data.length;
      }
      return { frames, bytes };
    },
  },
  {
    name: `rgb24 + sharp JPEG q${quality} (ingest before)`,
    read: async (input) => {
      const source = await VideoSource.open(input);
      let frames = 0;
      let bytes = 0;
      for await (const frame of source.frames()) {
        const raw = { width: frame.width, height: frame.height, channels: 3 as const };
        const jpeg = await sharp(frame.data, { raw }).jpeg({ quality, mozjpeg: false }).toBuffer();
        frames++;
        bytes += jpeg.length;
      }
      return { frames, bytes };
    },
  },
  {
    name: `jpeg output q${quality} (ingest now)`,
    read: async (input) => {
      const source = await VideoSource.open(input, { output: "jpeg", jpegQuality: quality });
      let frames = 0;
      let bytes = 0;
      for await (const frame of source.frames()) {
        frames++;
        bytes += frame.data.length;
      }
      return { frames, bytes };
    },
  },
];

async function measure(mode: Mode, input: string): Promise<Run> {
  const [node0, children0, wall0] = [processCpuS(), childrenCpuS(), performance.now()];
  const { frames, bytes } = await mode.read(input);
  // ffmpeg has been reaped once frames() ended (VideoSource waits for its exit).
  return {
    frames,
    bytes,
    nodeS: processCpuS() - node0,
    ffmpegS: childrenCpuS() - children0,
    wallS: (performance.now() - wall0) / 1000,
  };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

const temp = await tempDir("ft-decode-bench-");
try {
  const input =
    values.input ??
    (await testVideo(join(temp.dir, "camera-720p.mp4"), {
      seconds,
      width: 1280,
      height: 720,
      fps: CAMERA_FPS,
    }));
  const info = (await VideoSource.open(input)).info;
  console.log(
    `${input}: ${info.width}x${info.height} ${info.codec} at ${info.fps} fps, ${info.frameCount ?? "?"} frames; ` +
      `${rounds} rounds, median per mode`,
  );
  await modes[0]?.read(input); // warm-up (JIT, sharp, page cache)
  const runs = new Map<Mode, Run[]>(modes.map((mode) => [mode, []]));
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) runs.get(mode)?.push(await measure(mode, input));
  }
  const rows = modes.map((mode) => {
    const list = runs.get(mode) ?? [];
    const perFrame = (pick: (run: Run) => number) =>
      median(list.map((run) => (pick(run) / run.frames) * 1000));
    return {
      mode: mode.name,
      frames: list[0]?.frames ?? 0,
      "node ms/frame": perFrame((run) => run.nodeS),
      "ffmpeg ms/frame": perFrame((run) => run.ffmpegS),
      "total ms/frame": perFrame((run) => run.nodeS + run.ffmpegS),
      "wall fps": median(list.map((run) => run.frames / run.wallS)),
      "KiB/frame": median(list.map((run) => run.bytes / run.frames / 1024)),
    };
  });
  console.table(
    rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "number" ? +v.toFixed(2) : v])),
    ),
  );
  const [, before, after] = rows;
  if (before && after) {
    const ratio = before["total ms/frame"] / after["total ms/frame"];
    const cameras = (ms: number) => (2 * 1000) / (ms * CAMERA_FPS);
    console.log(
      `jpeg output: ${ratio.toFixed(2)}x less CPU per frame than rgb24 + sharp ` +
        `(node ${(before["node ms/frame"] / after["node ms/frame"]).toFixed(1)}x, ` +
        `ffmpeg ${(after["ffmpeg ms/frame"] / before["ffmpeg ms/frame"]).toFixed(2)}x as much). ` +
        `Reading alone, 2 cores fit ~${cameras(before["total ms/frame"]).toFixed(0)} → ` +
        `~${cameras(after["total ms/frame"]).toFixed(0)} cameras at ${CAMERA_FPS} fps (no publishing, no slack).`,
    );
  }
} finally {
  await temp.cleanup();
}
