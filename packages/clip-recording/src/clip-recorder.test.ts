import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type ClipOutboxEntry, LocalClipStorage } from "@facetracker/clips";
import { parseConfig } from "@facetracker/config";
import { encodeFrameJpeg, type FrameTracks } from "@facetracker/pipeline";
import { createLogger } from "@facetracker/service-kit";
import type { EncoderFrame } from "./clip-encoder.ts";
import type { ClipStatus } from "./clip-meta.ts";
import { ClipRecorder } from "./clip-recorder.ts";
import type { ClipFeeds } from "./clip-recording.ts";
import type { ClipResults } from "./clip-results.ts";

// The recorder without a bus: frames and snapshots come from plain in-memory feeds, clips go to a local
// directory through the outbox, encoded by the real ffmpeg.

const T0 = 1_700_000_000_000;
const silent = createLogger("clip-recording-test", { stream: { write: () => true } });

/** Feeds replaying `frames` (in order, awaiting the handler) and a snapshot per frame. */
function replayFeeds(frames: EncoderFrame[]): ClipFeeds {
  return {
    snapshots: async (_camera, handler) => {
      for (const frame of frames) {
        const snapshot: FrameTracks = {
          seq: frame.seq,
          timeMs: frame.timeMs,
          tracks: [
            {
              trackId: 1,
              state: "confirmed",
              box: [2, 2, 12, 12],
              identity: { id: "a", name: "Alice" },
              similarity: 0.9,
            },
          ],
        };
        handler(snapshot);
      }
      return { stop: async () => {} };
    },
    frames: async (_camera, handler) => {
      let stopped = false;
      const loop = (async () => {
        for (const frame of frames) {
          if (stopped) return;
          await handler(frame);
        }
      })();
      return {
        stop: async () => {
          stopped = true;
          await loop;
        },
      };
    },
  };
}

describe("ClipRecorder (plain feeds, local storage, real ffmpeg)", () => {
  let dir: string;
  let frames: EncoderFrame[];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-clip-recording-"));
    const grey = new Uint8Array(32 * 24 * 3).fill(128);
    const jpeg = await encodeFrameJpeg({ width: 32, height: 24, data: grey }, 90);
    frames = Array.from({ length: 20 }, (_, i) => ({
      seq: i + 1,
      pts: i / 10,
      timeMs: T0 + i * 100,
      jpeg,
    }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const open = async (name: string, clipFrames: number, feeds: ClipFeeds) => {
    const clipsDir = path.join(dir, name, "clips");
    const stored: { entry: ClipOutboxEntry; url: string; alertIds: string[] }[] = [];
    const statuses: { camera: string; alertId: string; status: ClipStatus }[] = [];
    let announced: () => void = () => {};
    const announcedOnce = new Promise<void>((resolve) => {
      announced = resolve;
    });
    const recorder = await ClipRecorder.open({
      clipFrames,
      settings: { annotated: false, stallMs: 300, snapshotWaitMs: 200 },
      stopGraceMs: 1000,
      fpsOf: () => undefined,
      storage: new LocalClipStorage(clipsDir),
      storageSettings: parseConfig({ storage: { endpoint: clipsDir } }).storage,
      spoolDir: path.join(dir, name, "spool"),
      feeds,
      logger: silent,
      onStored: async (entry, url, alertIds) => {
        stored.push({ entry, url, alertIds });
        announced();
      },
      publishStatus: async (camera, alertId, status) => {
        statuses.push({ camera, alertId, status });
      },
    });
    return { recorder, clipsDir, stored, statuses, announcedOnce };
  };

  it("records the window around an alert from the feeds, spools it, and hands the stored clip back", async () => {
    const { recorder, clipsDir, stored, statuses, announcedOnce } = await open(
      "window",
      6,
      replayFeeds(frames),
    );
    try {
      await recorder.take({ id: "alert-1", camera: "door", seq: 10, timeMs: T0 + 900 });
      await announcedOnce;
      assert.deepEqual(statuses, [], "no failure recorded");
      assert.equal(stored.length, 1);
      const entry = stored[0]?.entry as ClipOutboxEntry;
      assert.deepEqual((entry.meta as { alertIds: string[] }).alertIds, ["alert-1"]);
      const jsonKey = (entry.meta as { jsonKey: string }).jsonKey;
      const results = JSON.parse(await readFile(path.join(clipsDir, jsonKey), "utf8")) as ClipResults;
      assert.equal(results.frames, 6, "frames 7–12: half before the trigger, half from it on");
      assert.equal(results.closed_by, "window");
      assert.equal(results.fps, 10, "estimated from the frames' pts");
      assert.equal(results.window.complete, true);
      assert.equal(results.frames_without_results, 0, "every frame has its snapshot");
    } finally {
      await recorder.stop(async () => {});
    }
  });

  it("records 'failed' with the reason when the camera has no frame of the window", async () => {
    const { recorder, stored, statuses } = await open("empty", 6, replayFeeds([]));
    try {
      await recorder.take({ id: "alert-2", camera: "door", seq: 10, timeMs: T0 });
      assert.equal(stored.length, 0);
      assert.equal(statuses.length, 1);
      const status = statuses[0]?.status;
      assert.equal(status?.status, "failed");
      assert.match(status?.status === "failed" ? status.error : "", /no frames to record/);
    } finally {
      await recorder.stop(async () => {});
    }
  });

  it("records 'disabled' at once when clips are off (clip_duration 0)", async () => {
    const { recorder, statuses } = await open("off", 0, replayFeeds(frames));
    try {
      await recorder.take({ id: "alert-3", camera: "door", seq: 10, timeMs: T0 });
      assert.deepEqual(statuses, [{ camera: "door", alertId: "alert-3", status: { status: "disabled" } }]);
    } finally {
      await recorder.stop(async () => {});
    }
  });

  it("records a clip whose pre-roll is gone from what exists, marked partial with what is missing", async () => {
    // Frames 9–20 only: 7 and 8 of the window 7–12 aged out of the stream (an outage).
    const { recorder, stored, statuses, announcedOnce } = await open(
      "partial",
      6,
      replayFeeds(frames.filter((f) => f.seq >= 9)),
    );
    try {
      await recorder.take({ id: "alert-4", camera: "door", seq: 10, timeMs: T0 + 900 });
      await announcedOnce;
      assert.deepEqual(statuses, [], "not failed");
      const meta = stored[0]?.entry.meta as { missing: string; frames: number; alertKeys: string[] };
      assert.equal(meta.frames, 4, "frames 9–12");
      assert.equal(meta.missing, "pre-roll lost: 0.2 s of 0.3 s");
      assert.deepEqual(meta.alertKeys, [`alert-4@${T0 + 900}`]);
    } finally {
      await recorder.stop(async () => {});
    }
  });

  it("does not record an alert again whose clip settled, also after a restart; the same ID at another time is recorded", async () => {
    const first = await open("ledger", 6, replayFeeds(frames));
    const alert = { id: "alert-5", camera: "door", seq: 10, timeMs: T0 + 900 };
    try {
      await first.recorder.take(alert);
      await first.announcedOnce;
      assert.deepEqual(first.stored[0]?.alertIds, ["alert-5"]);
      await first.recorder.take(alert); // redelivered in this run
    } finally {
      await first.recorder.stop(async () => {});
    }
    assert.equal(first.stored.length, 1);

    const again = await open("ledger", 6, replayFeeds(frames));
    try {
      await again.recorder.take(alert); // redelivered to the next run
      assert.equal(again.recorder.depths.recordings, 0, "not recorded again");
      // Pipeline state wiped, spool kept: alert IDs start over, at another time: a new alert.
      await again.recorder.take({ ...alert, timeMs: T0 + 1900 });
      await again.announcedOnce;
      assert.equal(again.stored.length, 1);
      assert.deepEqual(again.statuses, []);
    } finally {
      await again.recorder.stop(async () => {});
    }
  });

  it("a redelivered alert whose clip failed gets the same failure again, not a new recording", async () => {
    const first = await open("failed-once", 6, replayFeeds([]));
    const alert = { id: "alert-6", camera: "door", seq: 10, timeMs: T0 };
    try {
      await first.recorder.take(alert);
    } finally {
      await first.recorder.stop(async () => {});
    }
    const again = await open("failed-once", 6, replayFeeds(frames));
    try {
      await again.recorder.take(alert);
      assert.equal(again.stored.length, 0, "not recorded from the frames there are now");
      const status = again.statuses[0]?.status;
      assert.equal(status?.status, "failed");
      assert.equal(
        status?.status === "failed" ? status.error : "",
        first.statuses[0]?.status.status === "failed" ? first.statuses[0].status.error : "?",
      );
    } finally {
      await again.recorder.stop(async () => {});
    }
  });
});
