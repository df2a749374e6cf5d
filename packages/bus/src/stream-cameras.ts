/**
 * The cameras a stream holds messages of: the camera of each `ft.<kind>.<camera>` subject the stream
 * still has (stream info with a subjects filter). A service that splits its cameras by leases (alert)
 * adds them to those of the configuration and the registry, so no camera's messages go unconsumed.
 */

import type { JetStreamManager } from "@nats-io/jetstream";
import { type MessageKind, streamOf } from "./message-kinds.ts";
import { allCamerasSubject, type CameraSubjectKind, parseCameraSubject } from "./subjects.ts";

/** The cameras with messages of `kind` in its stream, sorted. */
export async function camerasInStream(
  jsm: JetStreamManager,
  kind: MessageKind & CameraSubjectKind,
): Promise<string[]> {
  const info = await jsm.streams.info(streamOf(kind), { subjects_filter: allCamerasSubject(kind) });
  const cameras = new Set<string>();
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const parsed = parseCameraSubject(subject);
    if (parsed?.kind === kind) cameras.add(parsed.camera);
  }
  return [...cameras].sort();
}
