import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ShowinfoTimestamps } from "./showinfo-timestamps.ts";
import { LineSplitter, StderrTail } from "./stderr-lines.ts";

const SI = "[Parsed_showinfo_3 @ 0x56480d3a5080] [info] ";
const frameLine = (n: number, pts: number | "NOPTS") =>
  `${SI}n:${String(n).padStart(4)} pts:${String(pts).padStart(7)} pts_time:0.1     pos: 9242 fmt:rgb24 s:160x120 i:P`;

describe("LineSplitter", () => {
  it("splits on \\n, \\r\\n and \\r across chunks and keeps the unterminated rest", () => {
    const splitter = new LineSplitter();
    assert.deepEqual(splitter.push("a\nb"), ["a"]);
    assert.deepEqual(splitter.push("c\r\nd\re"), ["bc", "d"]);
    assert.deepEqual(splitter.push(""), []);
    assert.deepEqual(splitter.end(), ["e"]);
    assert.deepEqual(splitter.end(), []);
  });
});

describe("StderrTail", () => {
  it("keeps warnings and errors without the level tags and addresses, and the last ones only", () => {
    const tail = new StderrTail(2);
    tail.add("[info] Input #0, matroska,webm, from 'file:half.mkv':");
    tail.add("[matroska,webm @ 0x56480d35da00] [error] File ended prematurely");
    tail.add(frameLine(0, 0));
    assert.deepEqual(tail.lines, ["matroska,webm: File ended prematurely"]);
    tail.add("[warning] second");
    tail.add("[error] third");
    assert.equal(tail.toString(), "second; third");
  });

  it("leaves out swscale's warning about yuvj420p (the jpeg output's own format)", () => {
    const tail = new StderrTail();
    tail.add(
      "[swscaler @ 0x5595f1c7a000] [swscaler @ 0x5595f1c86f40] [warning] deprecated pixel format used, make sure you did set range correctly",
    );
    tail.add("[mjpeg @ 0x1] [error] real trouble");
    assert.deepEqual(tail.lines, ["mjpeg: real trouble"]);
  });

  it("keeps untagged lines (ffprobe -v error output)", () => {
    const tail = new StderrTail();
    tail.add("file:/x.txt: Invalid data found when processing input");
    tail.add("   ");
    assert.deepEqual(tail.lines, ["file:/x.txt: Invalid data found when processing input"]);
  });
});

describe("ShowinfoTimestamps", () => {
  it("converts integer pts with the configured time base, exactly", async () => {
    const ts = new ShowinfoTimestamps();
    ts.addLine(`${SI}config in time_base: 1/90000, frame_rate: 25/1`);
    ts.addLine(`${SI}config out time_base: 0/0, frame_rate: 0/0`);
    ts.addLine(frameLine(0, 1234567890));
    ts.addLine(`${SI}color_range:tv color_space:bt709`);
    ts.addLine("[info] frame=    1 fps=0.0 q=-0.0 size=N/A");
    ts.addLine(frameLine(1, 1234571490));
    assert.equal(ts.pending, 2);
    assert.equal(await ts.next(), 1234567890 / 90000);
    assert.equal(await ts.next(), 1234571490 / 90000);
  });

  it("follows a new time base after a filter graph rebuild (n restarts)", async () => {
    const ts = new ShowinfoTimestamps();
    ts.addLine(`${SI}config in time_base: 1/25, frame_rate: 25/1`);
    ts.addLine(frameLine(0, 50));
    ts.addLine(`${SI}config in time_base: 1/1000, frame_rate: 25/1`);
    ts.addLine(frameLine(0, 2040));
    assert.deepEqual([await ts.next(), await ts.next()], [2, 2.04]);
  });

  it("gives undefined for frames without timestamp and after the end", async () => {
    const ts = new ShowinfoTimestamps();
    ts.addLine(`${SI}config in time_base: 1/25, frame_rate: 25/1`);
    ts.addLine(frameLine(0, "NOPTS"));
    assert.equal(await ts.next(), undefined);
    ts.end();
    assert.equal(await ts.next(), undefined);
  });

  it("waits for a line that arrives after the frame, or for the end", async () => {
    const ts = new ShowinfoTimestamps();
    ts.addLine(`${SI}config in time_base: 1/10, frame_rate: 10/1`);
    const pending = ts.next();
    setImmediate(() => ts.addLine(frameLine(0, 3)));
    assert.equal(await pending, 0.3);
    const waiting = ts.next();
    setImmediate(() => ts.end());
    assert.equal(await waiting, undefined);
  });

  it("ignores lines of other filters and log lines that mention pts", async () => {
    const ts = new ShowinfoTimestamps();
    ts.addLine(`${SI}config in time_base: 1/10, frame_rate: 10/1`);
    ts.addLine("[Parsed_fps_0 @ 0x1] [info] n: 0 pts: 7 something");
    ts.addLine("[h264 @ 0x2] [warning] n: 1 pts: 9");
    assert.equal(ts.pending, 0);
  });
});
