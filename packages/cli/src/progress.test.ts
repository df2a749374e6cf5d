import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, ProgressReporter } from "./progress.ts";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 200, write: (c: string) => chunks.push(c) > 0, chunks };
}

describe("ProgressReporter", () => {
  it("draws a bar with frames, percentage, fps and ETA", () => {
    assert.equal(
      ProgressReporter.line("clip.mp4", 50, 200, 25, 10),
      "clip.mp4: [###-------] 50/200 frames (25 %), 25.0 fps, ETA 0:06",
    );
    assert.equal(ProgressReporter.line("cam", 7, undefined, 12.34), "cam: 7 frames, 12.3 fps");
  });

  it("redraws in place on a terminal and writes plain lines otherwise", () => {
    const tty = sink(true);
    const p = new ProgressReporter("a", tty, 0);
    p.update(1, 10, 5);
    p.update(2, 10, 5);
    p.finish("done");
    assert.ok(tty.chunks.slice(0, 2).every((c) => c.startsWith("\r\x1b[2K")));
    assert.equal(tty.chunks.at(-1), "a: done\n");
    const log = sink(false);
    const q = new ProgressReporter("b", log, 0);
    q.update(1, 10, 5);
    q.finish("done");
    assert.deepEqual(log.chunks, [
      "b: [###---------------------------] 1/10 frames (10 %), 5.0 fps, ETA 0:02\n",
      "b: done\n",
    ]);
  });

  it("formats durations", () => {
    assert.equal(formatDuration(5), "0:05");
    assert.equal(formatDuration(3725), "1:02:05");
    assert.equal(formatDuration(Number.NaN), "--:--");
  });
});
