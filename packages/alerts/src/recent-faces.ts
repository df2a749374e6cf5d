/**
 * The site's short-term memory of faces: every track whose identity settled, on any camera, with its face
 * (embedding), when it was last seen, who it is (or unknown) and the alert it belongs to. The alert rules
 * read it to keep to one alert per person: a new track whose face matches a face seen recently, or a known
 * identity within its cooldown, is the same person seen again, not a new alert. Kept as plain JSON so the
 * alert service can store it and find it again after a restart.
 */

/** The alert a face belongs to: the one its own track raised, or the one it was seen again on. */
export interface AlertRef {
  id: string;
  camera: string;
  trackId: number;
  /** Capture time of the alert's triggering frame, ms since the epoch. */
  timeMs: number;
  /** Who the alert said the face was (null: unknown). */
  identity: { id: string; name: string } | null;
  /** An unknown face: the face memory's visitor it was (absent: none, or no face memory). */
  visitor?: number;
}

/** One track's face in the memory. */
export interface RecentFace {
  camera: string;
  trackId: number;
  /** The track's settled identity (null: unknown). */
  identity: { id: string; name: string } | null;
  /** Mean of the track's recent embeddings, L2-normalised (null: the producer sent none). */
  embedding: Float32Array | null;
  /** When the track was last seen: its last identity decision, then its end; ms since the epoch. */
  lastSeenMs: number;
  /**
   * The last track event decided for this track (`type:frame:timeMs`): the same event delivered again (the
   * service restarted before acknowledging it) changes nothing.
   */
  decided: string;
  /** The alert this face belongs to (null: none, e.g. the camera's mode does not alert on it). */
  alert: AlertRef | null;
  /** An unknown face: the face memory's visitor it is (absent: none known, or no face memory). */
  visitor?: number;
}

/** A recent face with its similarity to the face it was compared with. */
export interface FaceMatch {
  face: RecentFace;
  similarity: number;
}

/** Format version of {@link RecentFaceJson}. */
export const RECENT_FACE_VERSION = 1;

/** A recent face as JSON: the embedding as base64 of its float32 bytes (little-endian). */
export interface RecentFaceJson {
  v: typeof RECENT_FACE_VERSION;
  camera: string;
  trackId: number;
  identity: { id: string; name: string } | null;
  embedding: string | null;
  lastSeenMs: number;
  decided: string;
  alert: AlertRef | null;
  visitor?: number;
}

export interface RecentFacesOptions {
  /** How long a face is kept after it was last seen, ms (the longest of the cooldowns). */
  keepMs: number;
  /** At most this many faces (the least recently seen go first); default 10 000. */
  maxFaces?: number;
}

const key = (camera: string, trackId: number) => `${camera}.${trackId}`;

function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.NEGATIVE_INFINITY;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
}

/** The site's recent faces, by camera and track. */
export class RecentFaces {
  readonly #keepMs: number;
  readonly #maxFaces: number;
  readonly #faces = new Map<string, RecentFace>();

  constructor(options: RecentFacesOptions) {
    this.#keepMs = options.keepMs;
    this.#maxFaces = options.maxFaces ?? 10_000;
  }

  /** The key a face is stored under: `<camera>.<trackId>` (a valid KV key). */
  static key(face: Pick<RecentFace, "camera" | "trackId">): string {
    return key(face.camera, face.trackId);
  }

  get size(): number {
    return this.#faces.size;
  }

  get(camera: string, trackId: number): RecentFace | undefined {
    return this.#faces.get(key(camera, trackId));
  }

  /** Every face, least recently seen first. */
  faces(): RecentFace[] {
    return [...this.#faces.values()].sort((a, b) => a.lastSeenMs - b.lastSeenMs);
  }

  /**
   * The face most like `embedding` among those of other tracks that belong to an alert and were seen
   * within `windowMs` of `atMs` (before or after: cameras' clocks differ), if its cosine similarity
   * reaches `threshold`.
   */
  matchAlerted(
    embedding: Float32Array,
    atMs: number,
    windowMs: number,
    threshold: number,
    except: Pick<RecentFace, "camera" | "trackId">,
  ): FaceMatch | undefined {
    let best: FaceMatch | undefined;
    const self = RecentFaces.key(except);
    for (const [k, face] of this.#faces) {
      if (k === self || !face.alert || !face.embedding) continue;
      if (Math.abs(atMs - face.lastSeenMs) > windowMs) continue;
      const similarity = cosine(embedding, face.embedding);
      if (similarity >= threshold && (!best || similarity > best.similarity)) best = { face, similarity };
    }
    return best;
  }

  /**
   * The newest alert of this identity's person (any camera, any track) a face still holds: an alert that
   * named it, or the alert of a track that turned out to be this identity later (alerted as unknown).
   */
  lastAlertOf(identityId: string): AlertRef | undefined {
    let last: AlertRef | undefined;
    for (const face of this.#faces.values()) {
      const a = face.alert;
      if (!a || (a.identity?.id !== identityId && face.identity?.id !== identityId)) continue;
      if (!last || a.timeMs > last.timeMs) last = a;
    }
    return last;
  }

  /**
   * The newest alert of this visitor (an unknown person the face memory knows) a face still holds: the
   * alert that named the visitor, or the alert of a face of that visitor seen again.
   */
  lastAlertOfVisitor(visitor: number): AlertRef | undefined {
    let last: AlertRef | undefined;
    for (const face of this.#faces.values()) {
      const a = face.alert;
      if (!a || (a.visitor !== visitor && face.visitor !== visitor)) continue;
      if (!last || a.timeMs > last.timeMs) last = a;
    }
    return last;
  }

  /**
   * Stores a face (replacing the track's previous one), then forgets the faces not seen for `keepMs`
   * before it and the least recently seen beyond `maxFaces`. Returns the keys forgotten.
   */
  remember(face: RecentFace): string[] {
    const k = RecentFaces.key(face);
    this.#faces.delete(k);
    this.#faces.set(k, face);
    return this.prune(face.lastSeenMs);
  }

  /** Forgets the faces not seen for `keepMs` before `nowMs`, and the oldest beyond `maxFaces`; their keys. */
  prune(nowMs: number): string[] {
    const gone: string[] = [];
    for (const [k, face] of this.#faces) {
      if (nowMs - face.lastSeenMs > this.#keepMs) gone.push(k);
    }
    for (const k of gone) this.#faces.delete(k);
    if (this.#faces.size > this.#maxFaces) {
      const oldest = this.faces().slice(0, this.#faces.size - this.#maxFaces);
      for (const face of oldest) {
        const k = RecentFaces.key(face);
        this.#faces.delete(k);
        gone.push(k);
      }
    }
    return gone;
  }
}

/** A face as JSON (see {@link RecentFaceJson}). */
export function recentFaceToJson(face: RecentFace): RecentFaceJson {
  const e = face.embedding;
  return {
    v: RECENT_FACE_VERSION,
    camera: face.camera,
    trackId: face.trackId,
    identity: face.identity ? { ...face.identity } : null,
    embedding: e ? Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString("base64") : null,
    lastSeenMs: face.lastSeenMs,
    decided: face.decided,
    alert: face.alert
      ? { ...face.alert, identity: face.alert.identity ? { ...face.alert.identity } : null }
      : null,
    ...(face.visitor !== undefined ? { visitor: face.visitor } : {}),
  };
}

const isIdentity = (v: unknown): v is { id: string; name: string } | null =>
  v === null ||
  (typeof v === "object" &&
    typeof (v as { id?: unknown }).id === "string" &&
    typeof (v as { name?: unknown }).name === "string");

/** The face a {@link recentFaceToJson} was made of; throws saying what is wrong with a malformed one. */
export function recentFaceFromJson(value: unknown, what = "recent face"): RecentFace {
  const j = value as Partial<RecentFaceJson> | null;
  if (typeof j !== "object" || j === null || j.v !== RECENT_FACE_VERSION) {
    throw new Error(
      `${what}: unsupported format version ${JSON.stringify(j?.v)} (this build reads version ${RECENT_FACE_VERSION})`,
    );
  }
  const fail = (field: string, expected: string) => {
    throw new Error(`${what}.${field}: expected ${expected}`);
  };
  if (typeof j.camera !== "string" || j.camera === "") fail("camera", "a camera ID");
  if (!Number.isInteger(j.trackId)) fail("trackId", "a whole number");
  if (!isIdentity(j.identity)) fail("identity", "null or an id and a name");
  if (!Number.isFinite(j.lastSeenMs)) fail("lastSeenMs", "a time in ms");
  if (typeof j.decided !== "string") fail("decided", "a track event's key");
  if (j.visitor !== undefined && !Number.isInteger(j.visitor)) fail("visitor", "absent or a visitor ID");
  let embedding: Float32Array | null = null;
  if (j.embedding !== null) {
    if (typeof j.embedding !== "string") fail("embedding", "null or base64");
    const bytes = Buffer.from(j.embedding as string, "base64");
    if (bytes.length === 0 || bytes.length % 4 !== 0) fail("embedding", "base64 of float32 values");
    embedding = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }
  const a = j.alert as AlertRef | null | undefined;
  if (a !== null) {
    const valid =
      typeof a === "object" &&
      typeof a.id === "string" &&
      typeof a.camera === "string" &&
      Number.isInteger(a.trackId) &&
      Number.isFinite(a.timeMs) &&
      isIdentity(a.identity) &&
      (a.visitor === undefined || Number.isInteger(a.visitor));
    if (!valid) fail("alert", "null or an alert (id, camera, trackId, timeMs, identity, visitor)");
  }
  return {
    camera: j.camera as string,
    trackId: j.trackId as number,
    identity: j.identity ? { id: j.identity.id, name: j.identity.name } : null,
    embedding,
    lastSeenMs: j.lastSeenMs as number,
    decided: j.decided as string,
    alert: a
      ? {
          id: a.id,
          camera: a.camera,
          trackId: a.trackId,
          timeMs: a.timeMs,
          identity: a.identity ? { id: a.identity.id, name: a.identity.name } : null,
          ...(a.visitor !== undefined ? { visitor: a.visitor } : {}),
        }
      : null,
    ...(j.visitor !== undefined ? { visitor: j.visitor } : {}),
  };
}
