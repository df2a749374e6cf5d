/**
 * The live view without any streaming server: a camera's JPEG frames (FT_FRAMES) paired with their track
 * snapshots (FT_SNAPSHOTS), sent to the browsers watching that camera as server-sent events. One pair of
 * ordered consumers per watched camera, shared by its viewers, started with the first viewer and stopped
 * after the last one leaves.
 */

import type { MessageConsumer, TypedBus } from "@facetracker/bus";
import { trackSnapshotFromProto } from "@facetracker/pipeline";
import type { ServiceDeps } from "@facetracker/service-host";
import { FramePairer, type LivePair } from "./frame-pairing.ts";
import type { SseClient } from "./sse.ts";

/** A track on a live frame, as the page draws it. */
export interface LiveTrack {
  /** Public track ID; 0 while tentative. */
  id: number;
  state: "tentative" | "confirmed" | "lost";
  /** [x1, y1, x2, y2] in frame pixels. */
  box: [number, number, number, number];
  /** The identity's name; null = unknown, or not identified yet when `identifying`. */
  name: string | null;
  /** No identity settled yet (e.g. waiting for an embed worker): shown as identifying, not unknown. */
  identifying: boolean;
  /** No face good enough to tell who it is yet (face_quality): shown grey as undetermined, not unknown. */
  undetermined: boolean;
  identityId: string | null;
  similarity: number | null;
  /** An unknown face: the identity it came closest to, below the threshold, and its similarity. */
  closest: { name: string; similarity: number } | null;
  /** A face picture of the track is available (it can be enrolled). */
  face: boolean;
}

/** One `frame` event of /api/live/<camera>. */
export interface LiveFramePayload {
  camera: string;
  seq: number;
  width: number;
  height: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
  /** The JPEG, base64. */
  jpeg: string;
  /** False when no track snapshot came with the frame (tracking not running): tracks is then empty. */
  tracked: boolean;
  tracks: LiveTrack[];
}

/** The frame event's data for a pair (built once, sent to every viewer). */
export function livePayload(
  pair: LivePair,
  hasFace: (camera: string, trackId: number) => boolean,
): LiveFramePayload {
  const { frame, snapshot } = pair;
  const tracks = snapshot ? trackSnapshotFromProto(snapshot).tracks : [];
  return {
    camera: frame.camera,
    seq: frame.seq,
    width: frame.width,
    height: frame.height,
    timeMs: frame.capturedAtMs,
    jpeg: Buffer.from(frame.data).toString("base64"),
    tracked: snapshot !== null,
    tracks: tracks.map((t) => ({
      id: t.trackId,
      state: t.state === "unspecified" ? "tentative" : t.state,
      box: t.box ?? [0, 0, 0, 0],
      name: t.identity?.name || null,
      identifying: t.identifying ?? false,
      undetermined: t.undetermined ?? false,
      identityId: t.identity?.id || null,
      similarity: t.identity ? t.similarity : null,
      closest: !t.identity && t.closest ? { name: t.closest.name, similarity: t.closest.similarity } : null,
      face: t.trackId > 0 && hasFace(frame.camera, t.trackId),
    })),
  };
}

interface Viewer {
  client: SseClient;
  minIntervalMs: number;
  lastSentAt: number;
}

/** The viewers of one camera and the consumers that feed them. */
class CameraFeed {
  readonly viewers = new Set<Viewer>();
  readonly #pairer: FramePairer;
  readonly #consumers: MessageConsumer[] = [];
  readonly #camera: string;
  readonly #hasFace: (camera: string, trackId: number) => boolean;

  constructor(camera: string, maxFps: number, hasFace: (camera: string, trackId: number) => boolean) {
    this.#camera = camera;
    this.#pairer = new FramePairer({ maxFps });
    this.#hasFace = hasFace;
  }

  async start(bus: TypedBus, logger: ServiceDeps["logger"]): Promise<void> {
    const common = { camera: this.#camera, deliverPolicy: "new" as const, logger };
    try {
      this.#consumers.push(
        await bus.consume("frames", {
          ...common,
          handler: (frame) => this.#broadcast(this.#pairer.addFrame(frame, performance.now())),
        }),
        await bus.consume("snapshots", {
          ...common,
          handler: (snapshot) => this.#broadcast(this.#pairer.addSnapshot(snapshot, performance.now())),
        }),
      );
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#consumers.splice(0).map((c) => c.stop()));
  }

  #broadcast(pair: LivePair | undefined): void {
    if (!pair || this.viewers.size === 0) return;
    const now = performance.now();
    const due = [...this.viewers].filter((v) => now - v.lastSentAt >= v.minIntervalMs);
    if (due.length === 0) return;
    const payload = livePayload(pair, this.#hasFace);
    for (const viewer of due) {
      if (viewer.client.send("frame", payload, true)) viewer.lastSentAt = now;
    }
  }
}

export interface LiveFeedsOptions {
  bus: TypedBus;
  logger: ServiceDeps["logger"];
  /** Frames per second sent to a browser at most. */
  maxFps: number;
  /** Whether a face picture of a track is known (so the page offers to enroll it). */
  hasFace: (camera: string, trackId: number) => boolean;
}

/** Every camera being watched, with its viewers. */
export class LiveFeeds {
  readonly #options: LiveFeedsOptions;
  readonly #feeds = new Map<string, Promise<CameraFeed>>();

  constructor(options: LiveFeedsOptions) {
    this.#options = options;
  }

  /** Cameras watched right now (for tests and logs). */
  get watched(): string[] {
    return [...this.#feeds.keys()];
  }

  /**
   * Sends `camera`'s live frames to `client` (at most `fps` per second, at most the site's cap) until the
   * client goes away. Throws when the consumers cannot be created.
   */
  async watch(camera: string, client: SseClient, fps?: number): Promise<void> {
    const rate = Math.min(this.#options.maxFps, fps && fps > 0 ? fps : this.#options.maxFps);
    const viewer: Viewer = {
      client,
      minIntervalMs: 1000 / rate,
      lastSentAt: Number.NEGATIVE_INFINITY,
    };
    let pending = this.#feeds.get(camera);
    if (!pending) {
      const feed = new CameraFeed(camera, this.#options.maxFps, this.#options.hasFace);
      pending = feed.start(this.#options.bus, this.#options.logger).then(() => feed);
      this.#feeds.set(camera, pending);
      pending.catch(() => this.#feeds.delete(camera));
    }
    const feed = await pending;
    feed.viewers.add(viewer);
    client.onClose(() => {
      feed.viewers.delete(viewer);
      if (feed.viewers.size === 0 && this.#feeds.get(camera) === pending) {
        this.#feeds.delete(camera);
        void feed.stop();
      }
    });
  }

  /** Stops every camera's consumers (viewers are closed by the web server). */
  async close(): Promise<void> {
    const feeds = [...this.#feeds.values()];
    this.#feeds.clear();
    await Promise.all(
      feeds.map((p) =>
        p.then(
          (f) => f.stop(),
          () => {},
        ),
      ),
    );
  }
}
