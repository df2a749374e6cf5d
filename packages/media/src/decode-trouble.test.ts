import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeTroubleLog, decodeTroubleKind } from "./decode-trouble.ts";

describe("decodeTroubleKind", () => {
  it("reads ffmpeg's lines about damaged input (5.x and 7.x forms, as printed for real files)", () => {
    const kinds = [
      "[error] Error while decoding stream #0:0: Invalid data found when processing input",
      "[vist#0:0/h264 @ 0x55d1c0] [error] Decoding error: Invalid data found when processing input",
      "[warning] file:damaged.mp4: corrupt decoded frame in stream 0",
      "[h264 @ 0x560eab712400] [error] Invalid NAL unit size (-768 > 767).",
      "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5594147d0900] [warning] Packet corrupt (stream = 0, dts = 26112).",
      "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5594147d0900] [error] stream 0, offset 0x2c75f: partial file",
      "[matroska,webm @ 0x562159b05900] [error] File ended prematurely",
    ].map(decodeTroubleKind);
    assert.deepEqual(kinds, ["failed", "failed", "corrupt", "error", "error", "error", "error"]);
  });

  it("ignores frame lines, information and warnings that say nothing of damage", () => {
    for (const line of [
      "[Parsed_showinfo_2 @ 0x560eab72ba40] [info] n:  14 pts:  15718 pts_time:1.31114 pos: 37887",
      "[h264 @ 0x5642225663c0] [info] concealing 876 DC, 876 AC, 876 MV errors in P frame",
      "[swscaler @ 0x55] [warning] deprecated pixel format used, make sure you did set range correctly",
      "[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:corrupt-copy.mp4':",
      "plain text without a level",
    ]) {
      assert.equal(decodeTroubleKind(line), undefined, line);
    }
  });
});

describe("DecodeTroubleLog", () => {
  it("places each trouble by the frames written before it", () => {
    const log = new DecodeTroubleLog();
    log.addLine("[info] Stream mapping:", 0);
    log.addLine("[error] Error while decoding stream #0:0: Invalid data found when processing input", 14);
    log.addLine("[warning] file:x.mp4: corrupt decoded frame in stream 0", 20);
    assert.deepEqual(log.troubles, [
      { kind: "failed", beforeFrame: 14 },
      { kind: "corrupt", beforeFrame: 20 },
    ]);
    assert.equal(log.count, 2);
  });
});
