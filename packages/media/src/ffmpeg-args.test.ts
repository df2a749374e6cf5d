import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DecodeOptions, decodeArgs, encodeArgs, inputArgs } from "./ffmpeg-args.ts";
import { jpegQuantTables } from "./jpeg-quality.ts";
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

  it("jpeg output: full-range BT.601 yuvj420p in the scale pass, mjpeg at the mapped qscale, showinfo last", () => {
    const args = decodeArgs(parseVideoSource("/a.mp4"), {
      ...net,
      width: 160,
      height: 120,
      fps: 10,
      output: "jpeg",
      jpegQuality: 90,
    });
    assert.equal(
      after(args, "-vf"),
      "fps=10,scale=160:120:out_color_matrix=bt601:out_range=full,format=yuvj420p,showinfo=checksum=0",
    );
    assert.equal(after(args, "-c:v"), "mjpeg");
    assert.equal(after(args, "-pix_fmt"), "yuvj420p");
    assert.equal(after(args, "-q:v"), "8", "the qscale at which the matrices are the quantizers");
    assert.equal(after(args, "-intra_matrix"), jpegQuantTables(90).luma.join(","));
    assert.equal(after(args, "-chroma_intra_matrix"), jpegQuantTables(90).chroma.join(","));
    assert.equal(after(args, "-f"), "mjpeg");
    assert.equal(after(args, "-fps_mode"), "passthrough");
    assert.equal(args.at(-1), "pipe:1");
    const byDefault = decodeArgs(parseVideoSource("/a.mp4"), { ...net, width: 8, height: 6, output: "jpeg" });
    assert.equal(
      after(byDefault, "-intra_matrix"),
      jpegQuantTables(80).luma.join(","),
      "quality 80 by default",
    );
  });

  it("jpeg output at the source's size: 8-bit 4:2:0 through the colorspace filter, anything else through swscale", () => {
    const vf = (input: DecodeOptions["input"], width = 1280, height = 720): string =>
      after(
        decodeArgs(parseVideoSource("/a.mp4"), { ...net, width, height, output: "jpeg", input }),
        "-vf",
      ) ?? "";
    const hd = { width: 1280, height: 720, pixelFormat: "yuv420p" };
    assert.equal(
      vf({ ...hd, colorSpace: "bt709" }),
      "colorspace=ispace=bt709:irange=tv:space=bt470bg:range=pc:iprimaries=bt709:primaries=bt709:itrc=bt709:trc=bt709:fast=1:format=yuv420p," +
        "scale=1280:720:in_range=full:out_range=full,format=yuvj420p,showinfo=checksum=0",
    );
    assert.match(vf(hd), /^colorspace=ispace=bt470bg:irange=tv:/, "no matrix declared: BT.601, as swscale");
    assert.match(vf({ ...hd, colorRange: "pc" }), /^colorspace=ispace=bt470bg:irange=pc:/);
    const swscale =
      "scale=1280:720:out_color_matrix=bt601:out_range=full,format=yuvj420p,showinfo=checksum=0";
    for (const input of [
      undefined,
      { ...hd, pixelFormat: "yuvj420p" },
      { ...hd, pixelFormat: "yuv444p" },
      { ...hd, colorSpace: "ycgco" },
      { ...hd, width: 1920, height: 1080 },
    ]) {
      assert.equal(vf(input), swscale, JSON.stringify(input));
    }
    assert.equal(
      vf({ width: 321, height: 241, pixelFormat: "yuv420p" }, 321, 241),
      swscale.replace("1280:720", "321:241"),
      "the colorspace filter wants an even size",
    );
  });

  it("pads odd sizes only", () => {
    const even = encodeArgs("/o.mp4", { width: 320, height: 240, fps: 25, crf: 23, preset: "veryfast" });
    assert.ok(!even.includes("-vf"));
    const odd = encodeArgs("/o.mp4", { width: 161, height: 120, fps: 25, crf: 23, preset: "veryfast" });
    assert.equal(after(odd, "-vf"), "pad=162:120:0:0:black");
    assert.equal(after(odd, "-video_size"), "161x120");
  });
});
