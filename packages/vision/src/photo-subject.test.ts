import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Box } from "./geometry.ts";
import { choosePhotoFace, FaceChoiceError, facesInReadingOrder, parseFaceBox } from "./photo-subject.ts";

const face = (box: Box, name: string) => ({ box, name });
const size = { width: 1000, height: 800 };

describe("choosePhotoFace", () => {
  it("takes the photo's only face, and nothing from a photo without faces", () => {
    assert.equal(choosePhotoFace([], size), undefined);
    const only = choosePhotoFace([face([10, 10, 50, 60], "a")], size);
    assert.deepEqual(
      { name: only?.face.name, index: only?.index, count: only?.count, by: only?.chosenBy },
      { name: "a", index: 1, count: 1, by: "only" },
    );
  });

  it("takes the face covering the centre over a larger bystander", () => {
    const subject = face([400, 300, 600, 500], "subject"); // 200×200, contains (500, 400)
    const bystander = face([700, 100, 950, 400], "bystander"); // 250×300: larger
    const chosen = choosePhotoFace([bystander, subject], size);
    assert.equal(chosen?.face.name, "subject");
    assert.equal(chosen?.chosenBy, "centre");
    assert.equal(chosen?.index, 1, "numbered left to right");
    assert.equal(chosen?.count, 2);
  });

  it("passes over a small face at the centre (less than a quarter of the largest's area)", () => {
    const background = face([460, 360, 540, 440], "background"); // 80×80 at the centre
    const front = face([50, 100, 250, 320], "front"); // 200×220: 6.9× the area
    const chosen = choosePhotoFace([background, front], size);
    assert.equal(chosen?.face.name, "front");
    assert.equal(chosen?.chosenBy, "largest");
    // At a quarter of the largest's area exactly, the centre face is large enough.
    const quarter = face([450, 345, 550, 455], "quarter"); // 100×110 = 11000 = 44000 / 4
    assert.equal(choosePhotoFace([quarter, front], size)?.face.name, "quarter");
  });

  it("takes the largest when no face covers the centre", () => {
    const chosen = choosePhotoFace([face([0, 0, 100, 100], "small"), face([800, 0, 990, 200], "big")], size);
    assert.equal(chosen?.face.name, "big");
    assert.equal(chosen?.chosenBy, "largest");
    assert.equal(chosen?.index, 2);
  });

  it("takes the largest of several large faces covering the centre", () => {
    const a = face([420, 320, 560, 470], "a");
    const b = face([380, 300, 620, 520], "b");
    assert.equal(choosePhotoFace([a, b], size)?.face.name, "b");
  });

  it("picks a face by number, left to right, and refuses a number out of range", () => {
    const faces = [
      face([600, 0, 700, 100], "right"),
      face([0, 0, 100, 100], "left"),
      face([300, 0, 400, 100], "mid"),
    ];
    assert.deepEqual(
      facesInReadingOrder(faces).map((f) => f.name),
      ["left", "mid", "right"],
    );
    const second = choosePhotoFace(faces, size, { index: 2 });
    assert.equal(second?.face.name, "mid");
    assert.equal(second?.chosenBy, "index");
    assert.throws(
      () => choosePhotoFace(faces, size, { index: 4 }),
      (e: Error) =>
        e instanceof FaceChoiceError &&
        /face 4 asked for, but the photo has 3 faces \(numbered 1–3/.test(e.message),
    );
    assert.throws(() => choosePhotoFace(faces, size, { index: 0 }), FaceChoiceError);
  });

  it("picks the face inside a box, the most overlapping one when several are, and refuses an empty box", () => {
    const faces = [
      face([0, 0, 100, 100], "left"),
      face([300, 0, 400, 100], "mid"),
      face([330, 20, 370, 60], "inner"),
    ];
    const loose = choosePhotoFace(faces, size, { box: [280, -20, 420, 130] });
    assert.equal(loose?.face.name, "mid");
    assert.equal(loose?.chosenBy, "box");
    assert.throws(
      () => choosePhotoFace(faces, size, { box: [600, 600, 700, 700] }),
      /no face in the box 600,600,100,100: the photo has 3 faces .*1: 0,0,100,100/,
    );
  });
});

describe("parseFaceBox", () => {
  it("reads x,y,w,h into corners", () => {
    assert.deepEqual(parseFaceBox("10, 20,30,40"), [10, 20, 40, 60]);
  });
  it("says what is wrong with a bad box", () => {
    assert.throws(() => parseFaceBox("1,2,3"), /expected a box x,y,w,h \(pixels\), got '1,2,3'/);
    assert.throws(() => parseFaceBox("1,2,a,4"), /expected a box x,y,w,h/);
    assert.throws(() => parseFaceBox("1,2,0,4"), /has no area/);
  });
});
