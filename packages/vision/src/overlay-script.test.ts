import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { labelMetrics, labelPlace } from "./annotate.ts";
import { faceLabel } from "./face-labels.ts";
import { assColor, assText, assTime, OverlayScript } from "./overlay-script.ts";

/** [start, end, layer, text] of each Dialogue line. */
function dialogues(script: string): [string, string, string, string][] {
  return script
    .split("\n")
    .filter((l) => l.startsWith("Dialogue: "))
    .map((l) => {
      const [layer, start, end, , , , , , , ...text] = l.slice("Dialogue: ".length).split(",");
      return [start as string, end as string, layer as string, text.join(",")];
    });
}

describe("OverlayScript (the labels of an annotated copy, for ffmpeg's ass filter)", () => {
  it("writes colours, times and texts as ASS spells them", () => {
    assert.equal(assColor("#d73027"), "&H2730D7&");
    assert.equal(assColor("#1A9850"), "&H50981A&");
    assert.throws(() => assColor("red"), /#rrggbb/);
    assert.equal(assTime(0), "0:00:00.00");
    assert.equal(assTime(61.234), "0:01:01.23");
    assert.equal(assTime(3723.456), "1:02:03.46");
    assert.equal(assTime(-1), "0:00:00.00");
    assert.equal(assText("#3 {\\b1}x\ny"), "#3 (/b1)x y");
  });

  it("has the analysed frame size as its coordinate space and the photos' text size", () => {
    const header = new OverlayScript({ width: 1280, height: 720, fps: 25 }).header();
    assert.match(header, /^PlayResX: 1280$/m);
    assert.match(header, /^PlayResY: 720$/m);
    const { font } = labelMetrics(1280, 720);
    assert.match(header, new RegExp(`^Style: Text,DejaVu Sans,${Math.round(font * 1.164)},`, "m"));
  });

  it("shows each frame's labels from halfway since the previous frame to halfway to the next", () => {
    const script = new OverlayScript({ width: 640, height: 360, fps: 25 });
    const label = faceLabel("unknown", [100, 100, 200, 220], { trackId: 3 });
    let text = script.frame(1.0, [label]);
    assert.equal(text, "", "a frame's lines wait for the next frame's time");
    text += script.frame(1.04, [label]);
    text += script.frame(1.08, []);
    text += script.frame(1.12, [label]);
    text += script.end();
    const times = dialogues(text).map(([start, end]) => `${start}-${end}`);
    // Three lines per label (outline, label box, text): frames 1.00, 1.04 and 1.12; 1.08 has none.
    assert.deepEqual(
      [...new Set(times)],
      ["0:00:00.98-0:00:01.02", "0:00:01.02-0:00:01.06", "0:00:01.10-0:00:01.14"],
    );
    assert.equal(times.length, 9);
  });

  it("leaves a gap in the frames unlabelled: at most one frame interval around a frame", () => {
    const script = new OverlayScript({ width: 640, height: 360, fps: 10 });
    const label = faceLabel("known", [10, 10, 50, 50], { trackId: 1, name: "amy" });
    const text = script.frame(2, [label]) + script.frame(7, [label]) + script.end();
    const times = [...new Set(dialogues(text).map(([start, end]) => `${start}-${end}`))];
    assert.deepEqual(times, ["0:00:01.95-0:00:02.10", "0:00:06.90-0:00:07.05"]);
  });

  it("draws the outline, the label box in the kind's colour, then the text in white, over each other", () => {
    const script = new OverlayScript({ width: 640, height: 360, fps: 25 });
    const text =
      script.frame(0, [
        faceLabel("known", [100, 100, 200, 220], { trackId: 3, name: "amy", similarity: 0.61 }),
      ]) + script.end();
    const lines = dialogues(text);
    assert.deepEqual(
      lines.map(([, , layer]) => layer),
      ["0", "1", "2"],
    );
    const [outline, box, label] = lines.map(([, , , t]) => t) as [string, string, string];
    const green = assColor("#1a9850");
    // The 2-px outline straddles the box edge: outer contour 1 px out, inner one 1 px in.
    assert.equal(
      outline,
      `{\\an7\\pos(0,0)\\1c${green}\\p1}m 99 99 l 201 99 201 221 99 221 m 101 101 l 101 219 199 219 199 101`,
    );
    const { font } = labelMetrics(640, 360);
    const top = 100 - font - 6;
    assert.ok(box.startsWith(`{\\an7\\pos(0,0)\\1c${green}\\p1}m 100 ${top} l `), box);
    assert.match(label, /\\pos\(104,\d+\)\}#3 amy 0\.61$/);
  });

  it("keeps every label inside the frame: moved left at the right edge, below or inside the box at the top", () => {
    const { font } = labelMetrics(640, 360);
    const h = font + 6;
    const text = "#12 somebody 0.71";
    const w = Math.round(text.length * font * 0.6) + 8;
    // Room above: above the box, at its left edge (as before).
    assert.deepEqual(labelPlace([100, 100, 200, 220], text, font, 640, 360), {
      x: 100,
      y: 100 - h,
      width: w,
      height: h,
    });
    // Against the top edge: below the box.
    assert.equal(labelPlace([100, 0, 200, 120], text, font, 640, 360).y, 120);
    // Against the right edge: moved left to end at the frame's edge.
    assert.equal(labelPlace([560, 100, 640, 200], text, font, 640, 360).x, 640 - w);
    // A box out past the left edge: the label starts at 0.
    assert.equal(labelPlace([-30, 100, 60, 200], text, font, 640, 360).x, 0);
    // A face as tall as the frame (no room above nor below): inside the box, at its top.
    assert.equal(labelPlace([200, 5, 400, 350], text, font, 640, 360).y, 5);
    // A box past the bottom and the top: at the frame's top.
    assert.equal(labelPlace([200, -20, 400, 400], text, font, 640, 360).y, 0);

    // The script draws them there: every label box of a corner face is inside the frame.
    const script = new OverlayScript({ width: 640, height: 360, fps: 25 });
    const corner = faceLabel("known", [540, 0, 640, 110], {
      trackId: 12,
      name: "somebody",
      similarity: 0.71,
    });
    const [, tag, label] = dialogues(script.frame(0, [corner]) + script.end()).map(([, , , t]) => t) as [
      string,
      string,
      string,
    ];
    const numbers = (tag.split("\\p1}")[1] as string).match(/-?\d+/g)?.map(Number) ?? [];
    const xs = numbers.filter((_, i) => i % 2 === 0);
    const ys = numbers.filter((_, i) => i % 2 === 1);
    assert.deepEqual([Math.min(...xs), Math.max(...xs)], [640 - w, 640], tag);
    assert.deepEqual([Math.min(...ys), Math.max(...ys)], [110, 110 + h], tag);
    const [, tx, ty] = (/\\pos\((\d+),(\d+)\)/.exec(label) ?? []).map(Number);
    assert.equal(tx, 640 - w + 4, label);
    assert.ok((ty ?? 0) >= 110 && (ty ?? 0) < 110 + h, label);
  });

  it("refuses frames out of time order", () => {
    const script = new OverlayScript({ width: 640, height: 360, fps: 25 });
    script.frame(1, []);
    assert.throws(() => script.frame(1, []), /time order/);
  });
});
