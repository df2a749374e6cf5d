/**
 * The JetStream streams of the pipeline, each with explicit limits, and ensureStreams() that creates
 * them or brings their limits up to date (idempotent: safe for every service to call at start).
 *
 * Detections and snapshots are short-lived and kept in memory; frames are short-lived too but kept in a
 * file, so that a nats-server that dies (SIGKILL) does not take the clip pre-roll with it (the clip
 * recorder reads the frames before an alert back from the stream; see docs/reliability.md); tracks,
 * alerts, clips and dead letters are durable files. FT_FRAMES must keep frames at least as long as the
 * clip pre-roll: raise frames.maxAgeMs with it.
 */

import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { stateReplicas } from "./replicas.ts";

export type StreamKey = "frames" | "detections" | "snapshots" | "tracks" | "alerts" | "clips" | "dlq";
export type StreamStorage = "memory" | "file";

/** The limits of a stream that a deployment may change. */
export interface StreamLimits {
  storage: StreamStorage;
  /** Messages older than this are removed, ms. */
  maxAgeMs: number;
  /** Oldest messages are removed above this total size, bytes. */
  maxBytes: number;
  /** Largest message accepted, bytes (the server's max_payload caps it too). */
  maxMsgSize: number;
  /**
   * Copies kept in a cluster. The streams that hold state (REPLICATED_STREAMS) keep one per server of the
   * cluster, at most three (stateReplicas), unless an override sets it.
   */
  replicas: number;
}

export interface StreamSpec extends StreamLimits {
  key: StreamKey;
  name: string;
  subjects: string[];
  description: string;
}

export type StreamOverrides = Partial<Record<StreamKey, Partial<StreamLimits>>>;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
/** JetStream's default window for Nats-Msg-Id de-duplication; shortened to max_age where that is less. */
const DEFAULT_DUPLICATE_WINDOW_MS = 120 * SECOND;

function spec(key: StreamKey, name: string, description: string, limits: StreamLimits): StreamSpec {
  return { key, name, subjects: [`ft.${key}.>`], description, ...limits };
}

/** Default specs, by key. */
export const STREAM_SPECS: Readonly<Record<StreamKey, StreamSpec>> = Object.freeze({
  frames: spec("frames", "FT_FRAMES", "camera frames (JPEG); kept for the clip pre-roll", {
    storage: "file",
    // A minute: a clip recorder restarted after a SIGKILL on a loaded machine (up to 30 s seen in a soak)
    // still finds its alerts' pre-roll.
    maxAgeMs: 60 * SECOND,
    maxBytes: 512 * MiB,
    maxMsgSize: 8 * MiB,
    replicas: 1,
  }),
  detections: spec("detections", "FT_DETECTIONS", "faces per frame with aligned crops", {
    storage: "memory",
    maxAgeMs: 30 * SECOND,
    maxBytes: 256 * MiB,
    maxMsgSize: 4 * MiB,
    replicas: 1,
  }),
  snapshots: spec("snapshots", "FT_SNAPSHOTS", "live tracks per frame, for the live view", {
    storage: "memory",
    maxAgeMs: 30 * SECOND,
    maxBytes: 64 * MiB,
    maxMsgSize: 1 * MiB,
    replicas: 1,
  }),
  tracks: spec("tracks", "FT_TRACKS", "track events (new, confirmed, identity changed, lost, ended)", {
    storage: "file",
    maxAgeMs: 7 * DAY,
    maxBytes: 4 * GiB,
    maxMsgSize: 1 * MiB,
    replicas: 1,
  }),
  alerts: {
    ...spec("alerts", "FT_ALERTS", "alerts, what users subscribe to, and their delivery status", {
      storage: "file",
      maxAgeMs: 30 * DAY,
      maxBytes: 4 * GiB,
      maxMsgSize: 1 * MiB,
      replicas: 1,
    }),
    // AlertDelivery: what became of each alert's notification and clip; AlertUpdate: its person seen again.
    subjects: ["ft.alerts.>", "ft.alert_updates.>", "ft.deliveries.>"],
  },
  clips: spec("clips", "FT_CLIPS", "recorded clips around alerts", {
    storage: "file",
    maxAgeMs: 30 * DAY,
    maxBytes: 256 * MiB,
    maxMsgSize: 64 * 1024,
    replicas: 1,
  }),
  dlq: spec("dlq", "FT_DLQ", "messages a consumer could not decode or handle, with the reason in headers", {
    storage: "file",
    maxAgeMs: 7 * DAY,
    maxBytes: 1 * GiB,
    maxMsgSize: 8 * MiB,
    replicas: 1,
  }),
});

function checkLimits(s: StreamSpec): void {
  const bad = (what: string) => {
    throw new Error(`stream ${s.name} (${s.key}): ${what}`);
  };
  if (s.storage !== "memory" && s.storage !== "file")
    bad(`storage must be "memory" or "file", not ${s.storage}`);
  for (const field of ["maxAgeMs", "maxBytes", "maxMsgSize", "replicas"] as const) {
    const value = s[field];
    if (!Number.isSafeInteger(value) || value <= 0) bad(`${field} must be a positive integer, not ${value}`);
  }
}

/**
 * The streams that hold state (tracks, alerts with their deliveries, clips, dead letters): replicated on
 * every server of a cluster, up to three. Frames, detections and snapshots are short-lived: one copy, so
 * that a lost server costs seconds of work in flight, not three times the frame traffic.
 */
export const REPLICATED_STREAMS: readonly StreamKey[] = Object.freeze(["tracks", "alerts", "clips", "dlq"]);

/** The specs with overrides applied (validated), in pipeline order. */
export function streamSpecs(overrides: StreamOverrides = {}): StreamSpec[] {
  for (const key of Object.keys(overrides)) {
    if (!(key in STREAM_SPECS)) throw new Error(`unknown stream ${JSON.stringify(key)} in overrides`);
  }
  return Object.values(STREAM_SPECS).map((base) => {
    const merged: StreamSpec = { ...base, ...overrides[base.key], subjects: [...base.subjects] };
    checkLimits(merged);
    return merged;
  });
}

const NANOS_PER_MS = 1_000_000;

/** A stream configuration as sent to the server (fields left out keep the server's defaults). */
export type WantedStreamConfig = Partial<StreamConfig> & Pick<StreamConfig, "name" | "subjects" | "storage">;

/** The JetStream configuration of a spec (durations in nanoseconds, as the API wants them). */
export function streamConfig(s: StreamSpec): WantedStreamConfig {
  return {
    name: s.name,
    description: s.description,
    subjects: s.subjects,
    storage: s.storage === "memory" ? StorageType.Memory : StorageType.File,
    max_age: s.maxAgeMs * NANOS_PER_MS,
    max_bytes: s.maxBytes,
    max_msg_size: s.maxMsgSize,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    max_consumers: -1,
    discard: DiscardPolicy.Old,
    num_replicas: s.replicas,
    duplicate_window: Math.min(DEFAULT_DUPLICATE_WINDOW_MS, s.maxAgeMs) * NANOS_PER_MS,
  };
}

const COMPARED_FIELDS = [
  "description",
  "max_age",
  "max_bytes",
  "max_msg_size",
  "max_msgs",
  "max_msgs_per_subject",
  "max_consumers",
  "discard",
  "num_replicas",
  "duplicate_window",
] as const;

/** Names of the fields where an existing stream differs from the wanted configuration. */
function differences(have: StreamConfig, want: WantedStreamConfig): string[] {
  const changed: string[] = COMPARED_FIELDS.filter((field) => (have[field] ?? "") !== (want[field] ?? ""));
  if ([...have.subjects].sort().join(" ") !== [...want.subjects].sort().join(" ")) changed.push("subjects");
  return changed;
}

/**
 * A stream that holds less than this is short-lived (frames, detections, snapshots): when its configured
 * storage differs from the server's, it is deleted and created again (what it loses is seconds of work in
 * flight); a longer-lived one is never deleted for it.
 */
export const SHORT_LIVED_MAX_AGE_MS = 60 * SECOND;

export interface EnsuredStream {
  name: string;
  /** "recreated": a short-lived stream whose storage changed, deleted and created again. */
  action: "created" | "updated" | "unchanged" | "recreated";
  /** Fields that were updated. */
  changed: string[];
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/**
 * Creates one stream, or updates its limits when they differ. Storage cannot change in place: a short-lived
 * stream is created again with the configured storage, a longer-lived one is an error that says what to do.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  s: StreamSpec,
  { neverLowerReplicas = false }: { neverLowerReplicas?: boolean } = {},
): Promise<EnsuredStream> {
  const want = streamConfig(s);
  let have: StreamConfig;
  try {
    have = (await jsm.streams.info(s.name)).config;
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    await jsm.streams.add(want);
    return { name: s.name, action: "created", changed: [] };
  }
  if (have.storage !== want.storage && s.maxAgeMs <= SHORT_LIVED_MAX_AGE_MS) {
    await jsm.streams.delete(s.name);
    await jsm.streams.add(want);
    return { name: s.name, action: "recreated", changed: ["storage"] };
  }
  if (have.storage !== want.storage) {
    throw new Error(
      `stream ${s.name} exists with ${have.storage} storage but ${want.storage} is configured: storage cannot be ` +
        `changed in place; delete the stream (nats stream rm ${s.name}; its messages are lost) or configure ` +
        `storage: ${have.storage} for it`,
    );
  }
  // Replicas learned from a cluster seen partly up are only ever raised (see replicas.ts).
  if (neverLowerReplicas && (have.num_replicas ?? 1) > s.replicas) want.num_replicas = have.num_replicas;
  const changed = differences(have, want);
  if (changed.length === 0) return { name: s.name, action: "unchanged", changed };
  const { name: _name, storage: _storage, ...update } = want;
  await jsm.streams.update(s.name, update);
  return { name: s.name, action: "updated", changed };
}

/**
 * Creates or updates every stream of the pipeline; returns what was done to each. The streams that hold
 * state (REPLICATED_STREAMS) get `replicas` copies (default: stateReplicas, from the cluster the connection
 * is in), never fewer than they have, unless an override sets their replicas.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  overrides: StreamOverrides = {},
  { replicas }: { replicas?: number } = {},
): Promise<EnsuredStream[]> {
  const results: EnsuredStream[] = [];
  const stateCopies = replicas ?? stateReplicas(jsm);
  for (const s of streamSpecs(overrides)) {
    const automatic = REPLICATED_STREAMS.includes(s.key) && overrides[s.key]?.replicas === undefined;
    const spec = automatic ? { ...s, replicas: stateCopies } : s;
    if (automatic) checkLimits(spec);
    results.push(await ensureStream(jsm, spec, { neverLowerReplicas: automatic }));
  }
  return results;
}
