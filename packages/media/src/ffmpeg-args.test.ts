import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DecodeOptions,
  decodeArgs,
  encodeArgs,
  filterValue,
  inputArgs,
  joinPartsArgs,
  overlayCopyArgs,
} from "./ffmpeg-args.ts";
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

  it("with a detection copy: one decoding split into the frames (stdout, showinfo) and their copies (fd 3)", () => {
    const args = decodeArgs(parseVideoSource("/a.mp4"), {
      ...net,
      width: 1280,
      height: 720,
      fps: 10,
      detectionCopy: { width: 320, height: 240 },
    });
    assert.equal(
      after(args, "-filter_complex"),
      "[0:V:0]fps=10,split=2[frame][copy];[frame]scale=1280:720,format=rgb24,showinfo=checksum=0[frames];" +
        "[copy]scale=320:240:flags=fast_bilinear,format=rgb24[copies]",
    );
    const maps = args.flatMap((a, i) => (a === "-map" ? [args[i + 1]] : []));
    assert.deepEqual(maps, ["[frames]", "[copies]"]);
    assert.equal(args.indexOf("pipe:1") < args.indexOf("pipe:3"), true);
    assert.equal(args.filter((a) => a === "passthrough").length, 2, "every frame kept on both outputs");
    assert.throws(
      () =>
        decodeArgs(parseVideoSource("/a.mp4"), {
          ...net,
          width: 8,
          height: 6,
          output: "jpeg",
          detectionCopy: { width: 4, height: 3 },
        }),
      /rgb24 frames only/,
    );
  });

  it("escapes a value inside a filter graph for the option parser, then the graph parser", () => {
    assert.equal(filterValue("/tmp/a.ass"), "/tmp/a.ass");
    // ':' is escaped once for the option, and that backslash once more for the graph.
    assert.equal(filterValue("/t:x/a.ass"), "/t\\\\:x/a.ass");
    assert.equal(filterValue("/t,x[1]/a'b.ass"), "/t\\,x\\[1\\]/a\\\\\\'b.ass");
  });

  it("makes an annotated copy in ffmpeg alone: the overlay drawn, H.264, the audio copied or encoded", () => {
    const file = parseVideoSource("/v/in.mkv");
    const base = {
      overlayScript: "/tmp/x/labels.ass",
      width: 1280,
      height: 720,
      preset: "ultrafast",
      crf: 23,
    };
    const copied = overlayCopyArgs(file, "/o.mp4", { ...base, audioCodec: "aac" });
    assert.equal(after(copied, "-i"), "file:/v/in.mkv");
    assert.equal(after(copied, "-vf"), "ass=filename=/tmp/x/labels.ass,format=yuv420p");
    assert.equal(after(copied, "-preset"), "ultrafast");
    assert.deepEqual(copied.slice(copied.indexOf("-map", copied.indexOf("-vf")), copied.indexOf("-sn")), [
      "-map",
      "0:a:0",
      "-c:a",
      "copy",
    ]);
    assert.equal(copied.at(-1), "file:/o.mp4");
    const encoded = overlayCopyArgs(file, "/o.mp4", { ...base, audioCodec: "pcm_s16le" });
    assert.equal(after(encoded, "-c:a"), "aac");
    const part = overlayCopyArgs(file, "/p1.ts", {
      ...base,
      audioCodec: "aac",
      container: "mpegts",
      startS: 10.25,
      durationS: 10,
    });
    assert.deepEqual(
      [after(part, "-ss"), after(part, "-t"), after(part, "-output_ts_offset"), after(part, "-f")],
      ["10.250000", "10.000000", "10.250000", "mpegts"],
      "a part: from 10.25 s for 10 s, its frames keeping their times",
    );
    assert.ok(part.includes("-an") && part.indexOf("-ss") < part.indexOf("-i"));
    const join = joinPartsArgs(["/t/p0.ts", "/t/p1.ts"], 0.6, file, "/o.mp4", "mp3");
    assert.equal(after(join, "-itsoffset"), "0.600000", "the video starts where the file's first frame is");
    assert.equal(after(join, "-i"), "concat:file:/t/p0.ts|file:/t/p1.ts");
    assert.deepEqual([after(join, "-c:v"), after(join, "-c:a")], ["copy", "copy"]);
    assert.throws(() => joinPartsArgs(["/a|b.ts"], 0, file, "/o.mp4", undefined), /separator/);
    const silent = overlayCopyArgs(file, "/o.mp4", { ...base, audioCodec: undefined, width: 641 });
    assert.ok(silent.includes("-an") && !silent.includes("-c:a"));
    assert.equal(after(silent, "-vf"), "ass=filename=/tmp/x/labels.ass,pad=642:720:0:0:black,format=yuv420p");
  });
});
