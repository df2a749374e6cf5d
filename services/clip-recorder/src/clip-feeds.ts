/**
 * The recordings' feeds over the bus: a camera's frames from FT_FRAMES and its track snapshots from
 * FT_SNAPSHOTS, each through its own ordered consumer from the oldest message the stream still holds.
 */

import type { TypedBus } from "@facetracker/bus";
import type { ClipFeeds } from "@facetracker/clip-recording";
import { trackSnapshotFromProto } from "@facetracker/pipeline";

/** Feeds reading each camera's frames and snapshots from the bus (counted by the bus's hooks). */
export function busClipFeeds(bus: TypedBus): ClipFeeds {
  return {
    snapshots: (camera, handler) =>
      bus.consume("snapshots", {
        camera,
        deliverPolicy: "all",
        handler: (snapshot) => handler(trackSnapshotFromProto(snapshot)),
      }),
    frames: (camera, handler) =>
      bus.consume("frames", {
        camera,
        deliverPolicy: "all",
        handler: (frame) =>
          handler({ seq: frame.seq, pts: frame.pts, timeMs: frame.capturedAtMs, jpeg: frame.data }),
      }),
  };
}
