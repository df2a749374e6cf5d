import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeArgs, encodeArgs, inputArgs } from "./ffmpeg-args.ts";
import { parseVideoSource } from "./source-spec.ts";

const net = { rtspTransport: "udp" as const, timeoutS: 2.5, realtime: true };
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe("ffmpeg arguments", () => {
  it("opens each kind of source with its protocol options and timeouts in microseconds", () => {
    const rtsp = inputArgs(parseVideoSource("rtsp://cam/1"), net);
    assert.equal(after(rtsp, "-rtsp_transport"), "udp");
    assert.equal(after(rtsp, "-timeout"), "2500000");
    const http = inputArgs(parseVideoSource("http://cam/1"), net);
    assert.equal(after(http, "-rw_timeout"), "2500000");
    assert.equal(after(http, "-timeout"), "2500000");
    assert.deepEqual(inputArgs(parseVideoSource(3), net), ["-f", "v4l2", "-i", "/dev/video3"]);
    const file = inputArgs(parseVideoSource("/v/a:b.mp4"), net);
    assert.equal(after(file, "-i"), "file:/v/a:b.mp4");
    assert.equal(file[0], "-re", "realtime reads a file at its native rate");
    assert.ok(!rtsp.includes("-re") && !http.includes("-re"));
  });

  it("decodes to rgb24 with fps before scale and showinfo last, every frame kept", () => {
    const args = decodeArgs(parseVideoSource("/a.mp4"), { ...net, width: 160, height: 120, fps: 10 });
    assert.equal(after(args, "-vf"), "fps=10,scale=160:120,format=rgb24,showinfo=checksum=0");
    assert.equal(after(args, "-fps_mode"), "passthrough");
    assert.equal(after(args, "-f"), "rawvideo");
    assert.equal(args.at(-1), "pipe:1");
    const noFps = decodeArgs(parseVideoSource("/a.mp4"), { ...net, width: 8, height: 6 });
    assert.equal(after(noFps, "-vf"), "scale=8:6,format=rgb24,showinfo=checksum=0");
  });

  it("pads odd sizes only", () => {
    const even = encodeArgs("/o.mp4", { width: 320, height: 240, fps: 25, crf: 23, preset: "veryfast" });
    assert.ok(!even.includes("-vf"));
    const odd = encodeArgs("/o.mp4", { width: 161, height: 120, fps: 25, crf: 23, preset: "veryfast" });
    assert.equal(after(odd, "-vf"), "pad=162:120:0:0:black");
    assert.equal(after(odd, "-video_size"), "161x120");
  });
});
