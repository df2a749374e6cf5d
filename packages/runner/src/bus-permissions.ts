/**
 * Least privilege on the bus: one NATS user per service, allowed to publish exactly the subjects its
 * stage produces (only ingest publishes frames, only track publishes track events, only alert publishes
 * alerts …), to read the streams and key-value buckets it consumes, and to create or update only the
 * pipeline's own streams (every service runs ensureStreams). A read-only "observer" user serves the
 * runner's event iterators and the CLI. `natsServerConfig` renders it as a nats-server configuration;
 * deploy/nats/nats-server.conf ships the same model for Compose.
 */

import { STREAM_SPECS } from "@facetracker/bus";
import type { ServiceName } from "@facetracker/service-host";

/** The users of the bus: each service, and the read-only observer (runner iterators, CLI). */
export type BusUser = ServiceName | "observer";

/** What one user may do. */
export interface BusGrant {
  /** Subjects it publishes on (core or JetStream), beyond dead letters. */
  publishes: string[];
  /** JetStream streams it reads through consumers. */
  reads: string[];
  /** Key-value buckets it reads (and watches). */
  kvReads: string[];
  /** Key-value keys it writes, as `bucket` (any key) or `bucket.<key pattern>`. */
  kvWrites: string[];
  /** Core subjects it subscribes to (beyond its own inbox). */
  subscribes: string[];
  /** Answers requests (publishes to the reply subject of a request it received). */
  answers?: boolean;
  /** More JetStream API subjects it uses (e.g. another stage's consumer info). */
  api?: string[];
}

const ALL_STREAMS = Object.values(STREAM_SPECS).map((s) => s.name);
const BUCKETS = [
  "ft_cameras",
  "ft_camera_status",
  "ft_track_state",
  "ft_notifications_sent",
  "ft_alert_memory",
  "ft_alert_acks",
  "ft_camera_leases",
  "ft_instances",
  "ft_alert_claims",
];

/** Each user's grant. */
export const BUS_GRANTS: Readonly<Record<BusUser, BusGrant>> = Object.freeze({
  ingest: {
    publishes: ["ft.frames.>"],
    reads: [],
    kvReads: ["ft_cameras", "ft_camera_status", "ft_camera_leases", "ft_instances"],
    // The configuration file's cameras are written to the registry at every start; the cameras are split
    // between ingest instances by leases (its own service's keys only).
    kvWrites: ["ft_camera_status.*", "ft_cameras", "ft_camera_leases.ingest.*", "ft_instances.ingest.*"],
    subscribes: [],
    // How far detection lags behind (frames are dropped rather than queued).
    api: ["$JS.API.CONSUMER.INFO.FT_FRAMES.detect"],
  },
  detect: {
    publishes: ["ft.detections.>"],
    reads: ["FT_FRAMES"],
    kvReads: [],
    kvWrites: [],
    subscribes: [],
  },
  embed: {
    publishes: [],
    reads: [],
    kvReads: [],
    kvWrites: [],
    subscribes: ["ft.embed", "ft.gallery.changed"],
    answers: true,
  },
  track: {
    publishes: ["ft.tracks.>", "ft.snapshots.>", "ft.embed"],
    reads: ["FT_DETECTIONS"],
    // The cameras (registry) are split between track instances by leases (its own service's keys only).
    kvReads: ["ft_track_state", "ft_cameras", "ft_camera_leases", "ft_instances"],
    kvWrites: ["ft_track_state", "ft_camera_leases.track.*", "ft_instances.track.*"],
    subscribes: [],
  },
  alert: {
    publishes: ["ft.alerts.>", "ft.alert_updates.>", "ft.deliveries.>"],
    reads: ["FT_TRACKS", "FT_ALERTS", "FT_CLIPS"],
    kvReads: [
      "ft_cameras",
      "ft_camera_status",
      "ft_notifications_sent",
      "ft_alert_memory",
      "ft_alert_claims",
      "ft_camera_leases",
      "ft_instances",
    ],
    // The cameras are split between alert instances by leases (its own service's keys only); one alert per
    // person across them through claims.
    kvWrites: [
      "ft_notifications_sent",
      "ft_camera_status.*.offline_notified",
      "ft_alert_memory",
      "ft_alert_claims",
      "ft_camera_leases.alert.*",
      "ft_instances.alert.*",
    ],
    subscribes: [],
  },
  "clip-recorder": {
    publishes: ["ft.clips.>", "ft.deliveries.>"],
    // One durable consumer per camera (clip-recorder_<camera>) on FT_ALERTS.
    reads: ["FT_ALERTS", "FT_FRAMES", "FT_SNAPSHOTS"],
    // The cameras (registry) are split between clip-recorder instances by leases (its own service's keys only).
    kvReads: ["ft_cameras", "ft_camera_leases", "ft_instances"],
    kvWrites: ["ft_camera_leases.clip-recorder.*", "ft_instances.clip-recorder.*"],
    subscribes: [],
  },
  restream: {
    publishes: [],
    reads: ["FT_FRAMES", "FT_SNAPSHOTS"],
    // The cameras (registry) are split between restream instances by leases (its own service's keys only).
    kvReads: ["ft_cameras", "ft_camera_leases", "ft_instances"],
    kvWrites: ["ft_camera_leases.restream.*", "ft_instances.restream.*"],
    subscribes: [],
  },
  api: {
    publishes: ["ft.gallery.changed"],
    reads: ["FT_TRACKS", "FT_ALERTS", "FT_CLIPS"],
    kvReads: ["ft_cameras", "ft_camera_status"],
    kvWrites: ["ft_cameras"],
    subscribes: [],
  },
  web: {
    publishes: [],
    reads: ["FT_FRAMES", "FT_SNAPSHOTS", "FT_TRACKS", "FT_ALERTS", "FT_CLIPS"],
    kvReads: ["ft_cameras", "ft_camera_status", "ft_alert_acks"],
    // Alerts acknowledged on the page.
    kvWrites: ["ft_alert_acks"],
    subscribes: ["ft.gallery.changed"],
  },
  observer: {
    publishes: [],
    reads: ALL_STREAMS,
    kvReads: BUCKETS,
    kvWrites: [],
    subscribes: [],
  },
});

/** The JetStream API subjects that reading `stream` takes (consumers, acknowledgements, single messages). */
function streamReading(stream: string): string[] {
  return [
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.API.CONSUMER.NAMES.${stream}`,
    `$JS.API.CONSUMER.LIST.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.ACK.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/** What every user may do: learn about streams, create or update the pipeline's own (ensureStreams). */
function common(): string[] {
  const own = [...ALL_STREAMS, ...BUCKETS.map((b) => `KV_${b}`)];
  return [
    "$JS.API.INFO",
    "$JS.API.STREAM.INFO.*",
    "$JS.API.STREAM.NAMES",
    "$JS.API.STREAM.LIST",
    ...own.flatMap((s) => [`$JS.API.STREAM.CREATE.${s}`, `$JS.API.STREAM.UPDATE.${s}`]),
  ];
}

/** The subjects a user may publish on and subscribe to. */
export function permissionsOf(user: BusUser): { publish: string[]; subscribe: string[]; answers: boolean } {
  const g = BUS_GRANTS[user];
  const kvStreams = [...new Set([...g.kvReads, ...g.kvWrites.map((w) => w.split(".")[0] ?? w)])];
  const publish = [
    ...g.publishes,
    ...(user === "observer" ? [] : ["ft.dlq.>"]),
    ...common(),
    ...[...g.reads, ...kvStreams.map((b) => `KV_${b}`)].flatMap(streamReading),
    ...g.kvWrites.map((w) => (w.includes(".") ? `$KV.${w}` : `$KV.${w}.>`)),
    ...(g.api ?? []),
  ];
  return { publish, subscribe: ["_INBOX.>", ...g.subscribes], answers: g.answers ?? false };
}

/** Every user of the bus. */
export const BUS_USERS = Object.keys(BUS_GRANTS) as BusUser[];

/** The environment variable holding `user`'s password in deploy/nats (NATS_PASSWORD_CLIP_RECORDER …). */
export function passwordVariable(user: BusUser): string {
  return `NATS_PASSWORD_${user.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * A nats-server `authorization` block requiring a password of each user, with its permissions; nothing
 * else may connect. Passwords are the given ones (the embedded run), or "environment": references to
 * `passwordVariable(user)`, resolved by nats-server at start (deploy/nats/users.conf).
 */
export function natsServerConfig(passwords: Readonly<Record<BusUser, string>> | "environment"): string {
  const list = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(", ")}]`;
  const users = BUS_USERS.map((user) => {
    const p = permissionsOf(user);
    const password =
      passwords === "environment" ? `$${passwordVariable(user)}` : JSON.stringify(passwords[user]);
    return [
      "    {",
      `      user: ${JSON.stringify(user)}, password: ${password}`,
      "      permissions: {",
      `        publish: { allow: ${list(p.publish)} }`,
      `        subscribe: { allow: ${list(p.subscribe)} }`,
      ...(p.answers ? ["        allow_responses: true"] : []),
      "      }",
      "    }",
    ].join("\n");
  });
  return [
    "# One user per FaceTracker service, least privilege (docs/security.md, packages/runner/src/bus-permissions.ts).",
    "authorization {",
    "  users: [",
    users.join("\n"),
    "  ]",
    "}",
    "",
  ].join("\n");
}
