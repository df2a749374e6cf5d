/**
 * Corrections in the face memory (real SQLite files): a correction changes the track's record and is
 * recorded with what it added to the gallery; an undo restores the record; the order of undos; a track
 * analysed again; forgetting a person; a memory file written before corrections existed.
 */

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { CorrectionError } from "./corrections.ts";
import { FaceMemory } from "./face-memory.ts";
import { MEMORY_FILE } from "./memory-database.ts";
import type { TrackToRemember } from "./types.ts";

const D = 8;
const T0 = Date.parse("2026-11-24T10:00:00Z");

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-corrections-"));
  roots.push(root);
  return join(root, "gallery");
}

const axis = (i: number) => {
  const v = new Float32Array(D);
  v[i] = 1;
  return v;
};
const amy = { id: "11111111-1111-4111-8111-111111111111", name: "amy", similarity: 0.61 };
const video = { kind: "file" as const, name: "/videos/lobby.mp4" };

function track(trackId: number, extra: Partial<TrackToRemember> = {}): Omit<TrackToRemember, "source"> {
  return {
    trackId,
    firstMs: T0,
    lastMs: T0,
    firstS: 0.4,
    lastS: 2.4,
    identity: null,
    closest: null,
    undetermined: false,
    thumbnail: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
    embeddings: [{ vector: axis(trackId), quality: 0.9 }],
    ...extra,
  };
}

const expectCode = (fn: () => unknown, code: string, pattern: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof CorrectionError && e.code === code && pattern.test(e.message),
  );

describe("corrections in the face memory", () => {
  it("'not' makes a named track unknown (closest: the name); undo gives it back; each is recorded", async () => {
    let now = T0 + 1000;
    const memory = FaceMemory.open(await tempDir(), { dimension: D, retentionDays: 0, now: () => now });
    const [named, unknown] = memory.rememberSource(video, [track(1, { identity: amy }), track(2)]) as [
      number,
      number,
    ];
    assert.equal(memory.findTrack({ source: video, trackId: 1 }), named);
    assert.equal(memory.findTrack({ source: video, trackId: 9 }), undefined);
    expectCode(
      () =>
        memory.recordCorrection({
          track: named,
          kind: "not",
          expectedName: "bea",
          negativeIds: [],
          embeddingIds: [],
          identityCreated: false,
        }),
      "CONFLICT",
      /changed meanwhile.*amy/,
    );
    const c = memory.recordCorrection({
      track: named,
      kind: "not",
      expectedName: "amy",
      negativeIdentity: { id: amy.id, name: "amy" },
      negativeIds: ["n1"],
      embeddingIds: [],
      identityCreated: false,
    });
    assert.equal(c.id, 1);
    assert.equal(c.track, named);
    assert.deepEqual(c.source, video);
    assert.equal(c.trackId, 1);
    assert.deepEqual(c.before, { identity: amy, closest: null, undetermined: false });
    assert.equal(c.after, null);
    assert.deepEqual(c.negativeIds, ["n1"]);
    assert.equal(c.createdMs, now);
    assert.equal(c.undoneMs, null);
    const t = memory.track(named);
    assert.equal(t?.identity, null);
    assert.deepEqual(t?.closest, amy, "unknown, the wrong identity as the closest");
    assert.ok(memory.visitorOfTrack(named) !== undefined, "an unknown track joins a visitor");
    assert.deepEqual(memory.correctionOf(named), c);
    assert.deepEqual(memory.corrections(), [c]);
    assert.deepEqual(memory.corrections({ track: unknown }), []);
    expectCode(
      () =>
        memory.recordCorrection({
          track: 999,
          kind: "not",
          expectedName: null,
          negativeIds: [],
          embeddingIds: [],
          identityCreated: false,
        }),
      "NOT_FOUND",
      /999/,
    );

    now += 1000;
    const undone = memory.undoCorrection(c.id);
    assert.equal(undone.trackRestored, true);
    assert.equal(undone.correction.undoneMs, now);
    assert.deepEqual(memory.track(named)?.identity, amy);
    assert.equal(memory.track(named)?.closest, null);
    assert.equal(memory.visitorOfTrack(named), undefined, "named again: out of the visitor");
    assert.equal(memory.listVisitors().length, 1, "the visitor it had joined alone is gone");
    assert.equal(memory.correctionOf(named), undefined);
    assert.deepEqual(memory.corrections({ includeUndone: false }), []);
    assert.equal(memory.corrections().length, 1, "undone corrections are listed too");
    expectCode(() => memory.undoCorrection(c.id), "FAILED_PRECONDITION", /undone already/);
    expectCode(() => memory.undoableCorrection(42), "NOT_FOUND", /#42/);
    memory.close();
  });

  it("'is' names a track; corrections of one track are undone latest first", async () => {
    const memory = FaceMemory.open(await tempDir(), { dimension: D, retentionDays: 0 });
    const [id] = memory.rememberSource(video, [track(1, { identity: amy })]) as [number];
    const not = memory.recordCorrection({
      track: id,
      kind: "not",
      expectedName: "amy",
      negativeIds: [],
      embeddingIds: [],
      identityCreated: false,
    });
    const is = memory.recordCorrection({
      track: id,
      kind: "is",
      expectedName: null,
      after: { id: "b", name: "bea" },
      negativeIds: [],
      embeddingIds: ["e1", "e2"],
      identityCreated: true,
    });
    assert.deepEqual(memory.track(id)?.identity, { id: "b", name: "bea", similarity: 1 });
    assert.equal(memory.track(id)?.closest, null);
    assert.deepEqual(memory.track(id) && memory.correction(is.id)?.embeddingIds, ["e1", "e2"]);
    expectCode(
      () => memory.undoableCorrection(not.id),
      "FAILED_PRECONDITION",
      new RegExp(`undo #${is.id} first`),
    );
    memory.undoCorrection(is.id);
    assert.equal(memory.track(id)?.identity, null);
    assert.equal(memory.track(id)?.closest?.name, "amy");
    memory.undoCorrection(not.id);
    assert.equal(memory.track(id)?.identity?.name, "amy");
    memory.close();
  });

  it("a correction outlives its track's record (analysed again): undo then restores nothing there", async () => {
    const memory = FaceMemory.open(await tempDir(), { dimension: D, retentionDays: 0 });
    const [id] = memory.rememberSource(video, [track(1, { identity: amy })]) as [number];
    const c = memory.recordCorrection({
      track: id,
      kind: "not",
      expectedName: "amy",
      negativeIds: ["n"],
      embeddingIds: [],
      identityCreated: false,
    });
    const [again] = memory.rememberSource(video, [track(1)]) as [number];
    assert.notEqual(again, id);
    const kept = memory.correction(c.id);
    assert.equal(kept?.track, null);
    assert.equal(kept?.trackId, 1);
    const { trackRestored } = memory.undoCorrection(c.id);
    assert.equal(trackRestored, false);
    assert.equal(memory.track(again)?.identity, null, "the new record is what the new analysis saw");
    memory.close();
  });

  it("forgetting a person forgets the corrections that name them", async () => {
    const memory = FaceMemory.open(await tempDir(), { dimension: D, retentionDays: 0 });
    const [a, b] = memory.rememberSource(video, [track(1, { identity: amy }), track(2)]) as [number, number];
    memory.recordCorrection({
      track: a,
      kind: "not",
      expectedName: "amy",
      negativeIds: [],
      embeddingIds: [],
      identityCreated: false,
    });
    memory.recordCorrection({
      track: b,
      kind: "is",
      expectedName: null,
      after: { id: "c", name: "cat" },
      negativeIds: [],
      embeddingIds: ["e"],
      identityCreated: true,
    });
    memory.forgetIdentity({ name: "amy", id: amy.id });
    assert.deepEqual(
      memory.corrections().map((c) => c.after?.name),
      ["cat"],
    );
    memory.close();
  });

  it("a memory written before corrections: read as having none, the table added when opened for writing", async () => {
    const dir = await tempDir();
    const first = FaceMemory.open(dir, { dimension: D, retentionDays: 0 });
    const [id] = first.rememberSource(video, [track(1, { identity: amy })]) as [number];
    first.close();
    const raw = new DatabaseSync(join(dir, MEMORY_FILE));
    raw.exec("DROP TABLE corrections");
    raw.close();
    const reader = FaceMemory.open(dir, { dimension: D, readOnly: true });
    assert.deepEqual(reader.corrections(), []);
    assert.equal(reader.correctionOf(id), undefined);
    const writer = FaceMemory.open(dir, { dimension: D, retentionDays: 0 });
    const c = writer.recordCorrection({
      track: id,
      kind: "not",
      expectedName: "amy",
      negativeIds: [],
      embeddingIds: [],
      identityCreated: false,
    });
    assert.equal(writer.corrections()[0]?.id, c.id);
    reader.close();
    writer.close();
  });
});
