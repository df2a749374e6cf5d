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

  it("fits 80 columns: the bar narrows, then the label shortens; the figures stay whole", () => {
    const long = "short_hamilton_clip.mp4";
    const line = ProgressReporter.line(long, 1, 275, 6.04, 30, 79);
    assert.ok(line.length <= 79, line);
    assert.match(line, /^short_hamilton_clip\.mp4: \[-+\] 1\/275 frames \(0 %\), 6\.0 fps, ETA 0:45$/);
    const longer = ProgressReporter.line(
      `${"a-very-long-folder-name-".repeat(3)}clip.mp4`,
      137,
      275,
      6,
      30,
      79,
    );
    assert.ok(longer.length <= 79, longer);
    assert.match(longer, /^….*clip\.mp4: \[#####-----\] 137\/275 frames \(50 %\), 6\.0 fps, ETA 0:23$/);
    const tty = {
      isTTY: true,
      columns: 80,
      chunks: [] as string[],
      write: (c: string) => tty.chunks.push(c) > 0,
    };
    new ProgressReporter(long, tty, 0).update(1, 275, 6);
    assert.ok((tty.chunks[0] as string).replace("\r\x1b[2K", "").length <= 79, tty.chunks[0]);
    assert.match(tty.chunks[0] as string, /ETA 0:46$/);
  });

  it("formats durations", () => {
    assert.equal(formatDuration(5), "0:05");
    assert.equal(formatDuration(3725), "1:02:05");
    assert.equal(formatDuration(Number.NaN), "--:--");
  });
});
