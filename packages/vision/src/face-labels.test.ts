import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FACE_COLORS, faceColorsCss, faceLabel, faceLabelText, trackFaceKind } from "./face-labels.ts";

describe("face labels", () => {
  it("writes each kind's text, with the parts given", () => {
    assert.equal(faceLabelText("known", { trackId: 3, name: "alice" }), "#3 alice");
    assert.equal(faceLabelText("known", { name: "alice", similarity: 0.934 }), "alice 0.93");
    assert.equal(faceLabelText("known", { trackId: 3, name: "alice", similarity: 0.5 }), "#3 alice 0.50");
    assert.equal(faceLabelText("unknown", { trackId: 4 }), "#4 unknown");
    assert.equal(faceLabelText("unknown"), "unknown");
    assert.equal(faceLabelText("identifying", { trackId: 0 }), "identifying");
    assert.equal(faceLabelText("lost", { trackId: 5, name: "bob" }), "#5 bob (lost)");
    assert.equal(faceLabelText("lost", { trackId: 5, name: "" }), "#5 unknown (lost)");
  });

  it("tells a live track's kind by its state, ID and name", () => {
    assert.equal(trackFaceKind("tentative", 0, null), "identifying");
    assert.equal(trackFaceKind("confirmed", 0, "alice"), "identifying", "no public ID yet");
    assert.equal(trackFaceKind("confirmed", 2, "alice"), "known");
    assert.equal(trackFaceKind("confirmed", 2, ""), "unknown");
    assert.equal(trackFaceKind("lost", 2, "alice"), "lost");
    assert.equal(trackFaceKind("unspecified", 2, "alice"), undefined);
  });

  it("a confirmed track whose identity is not settled yet (waiting for an embed worker) is identifying, not unknown", () => {
    assert.equal(trackFaceKind("confirmed", 2, null, true), "identifying");
    assert.equal(trackFaceKind("confirmed", 2, null, false), "unknown");
    assert.equal(trackFaceKind("lost", 2, null, true), "lost");
    assert.equal(faceLabelText("identifying", { trackId: 2 }), "#2 identifying");
  });

  it("colours a label by its kind and writes the colours as CSS variables", () => {
    assert.deepEqual(faceLabel("known", [1, 2, 3, 4], { trackId: 1, name: "amy" }), {
      box: [1, 2, 3, 4],
      text: "#1 amy",
      color: FACE_COLORS.known,
    });
    assert.equal(faceLabel("identifying", [0, 0, 1, 1], {}, "…").text, "…");
    const css = faceColorsCss();
    for (const [kind, color] of Object.entries(FACE_COLORS))
      assert.ok(css.includes(`--${kind}: ${color};`), kind);
    assert.equal(new Set(Object.values(FACE_COLORS)).size, 5, "five distinct colours");
  });

  it("an undetermined track (no face good enough yet) is labelled so, in its own grey, never unknown", () => {
    assert.equal(trackFaceKind("confirmed", 3, null, true, true), "undetermined");
    assert.equal(trackFaceKind("confirmed", 3, "amy", false, false), "known", "a name wins");
    assert.equal(trackFaceKind("tentative", 0, null, true, true), "identifying", "no ID yet");
    assert.equal(trackFaceKind("lost", 3, null, true, true), "lost");
    assert.equal(faceLabelText("undetermined", { trackId: 3 }), "#3 undetermined");
    assert.equal(faceLabel("undetermined", [0, 0, 1, 1], { trackId: 3 }).color, FACE_COLORS.undetermined);
  });
});
