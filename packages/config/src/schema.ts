import { isIP } from "node:net";
import { z } from "zod";

/**
 * The FaceTracker configuration: one schema, validated at start. Keys follow the vocabulary of DeGirum's
 * FaceTracker (snake_case) where it fits. docs/configuration.md is the reference for every key.
 */

const probability = (what: string) => z.number().min(0, `${what} must be ≥ 0`).max(1, `${what} must be ≤ 1`);

export const galleryBackends = ["embedded", "qdrant"] as const;
export const alertModes = ["NONE", "ON_UNKNOWNS", "ON_KNOWNS", "ON_ALL"] as const;
export const providers = ["cpu", "cuda"] as const;
export const liveModes = ["NONE", "LOCAL", "WEB"] as const;

/** Default of limits.max_image_pixels: 50 MP (an 8K frame is 33 MP), DEFAULT_MAX_IMAGE_PIXELS of vision. */
export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;

const point = z.tuple([z.number(), z.number()]);
const roi = z
  .tuple([z.number().min(0), z.number().min(0), z.number().min(0), z.number().min(0)])
  .refine(([x1, y1, x2, y2]) => x2 > x1 && y2 > y1, "roi must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1");

/** Placeholders of notification templates (see @facetracker/notify). */
export const templatePlaceholders = [
  "time",
  "camera",
  "identity",
  "similarity",
  "track_id",
  "url",
  "count",
  "identities",
  "closest",
  "clip_url",
  "clip_key",
] as const;
const template = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
      if (!(templatePlaceholders as readonly string[]).includes(m[1] as string)) {
        ctx.addIssue({
          code: "custom",
          message: `unknown placeholder \${${m[1]}} (known: ${templatePlaceholders.map((p) => `\${${p}}`).join(" ")})`,
        });
      }
    }
  });

/** A positive number of seconds, at most one hour, with errors that name the key. */
const seconds = (key: string) =>
  z
    .number(`${key} must be a number of seconds`)
    .positive(`${key} must be > 0`)
    .max(3600, `${key} must be ≤ 3600 (one hour)`);

/** camera_offline_alert_s: seconds ≥ 0, at most a week. */
const offlineAlertS = z
  .number("camera_offline_alert_s must be a number of seconds")
  .min(0, "camera_offline_alert_s must be ≥ 0 (0 = no offline notification)")
  .max(604_800, "camera_offline_alert_s must be ≤ 604800 (a week)");

/**
 * An IP address to listen on, with an error that names the key: 127.0.0.1 (this machine only), 0.0.0.0
 * (every IPv4 interface, right inside a container), :: (every interface) or one interface's address.
 */
const listenAddress = (key: string) =>
  z
    .string(`${key} must be an IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0`)
    .refine((host) => isIP(host) !== 0, {
      error: (issue) =>
        `${key} must be an IP address to listen on (127.0.0.1 = this machine only, 0.0.0.0 = every IPv4 interface, :: = every interface), got ${JSON.stringify(issue.input)}`,
    });

export const configSchema = z.strictObject({
  /** Camera index or device (/dev/videoN), file path, rtsp:// or http(s):// URL. */
  video_source: z
    .union([z.string().min(1), z.int().min(0)], {
      error: "must be a camera index, /dev/videoN, a file path, or an rtsp:// or http(s):// URL",
    })
    .optional(),
  /** Decode at this frame rate (drop or duplicate frames). */
  video_source_fps_override: z.number().positive().max(240).optional(),
  /** Scale frames to [width, height]. */
  video_source_resolution_override: z.tuple([z.int().min(16), z.int().min(16)]).optional(),
  /** Frames a face must persist before its track is confirmed; also the agreeing recognitions needed to change a track's identity. */
  credence_count: z.int().min(1).max(100).default(3),
  /** Embedded gallery directory (backend "embedded"). */
  db_path: z.string().min(1).default("./data/gallery"),
  gallery: z
    .strictObject({
      backend: z.enum(galleryBackends).default("embedded"),
    })
    .prefault({}),
  qdrant: z
    .strictObject({
      url: z.url().default("http://127.0.0.1:6333"),
      api_key: z.string().optional(),
      collection: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, "collection may hold letters, digits, '_' and '-' only")
        .default("facetracker"),
    })
    .prefault({}),
  /** Minimum cosine similarity for a face to match an identity (measured on real pairs: see docs). */
  cosine_similarity_threshold: z.number().min(-1).max(1).default(0.36),
  detection: z
    .strictObject({
      score_threshold: probability("score_threshold").default(0.7),
      nms_threshold: probability("nms_threshold").default(0.4),
      max_faces: z.int().min(1).default(200),
      /**
       * Overlapping tiles for small faces in large frames: auto (tiles above 1280×720), off, or explicit.
       * Unset: auto for video, off for still photos (tiles raise false positives on close-up photos).
       */
      tiling: z
        .union(
          [
            z.enum(["auto", "off"]),
            z.strictObject({
              tile_width: z.int().min(64),
              tile_height: z.int().min(48),
              overlap: z.number().min(0).max(0.5).default(0.25),
            }),
          ],
          { error: 'must be "auto", "off" or { tile_width, tile_height, overlap }' },
        )
        .optional(),
      /** Region of interest [x1, y1, x2, y2] in frame pixels; faces are looked for only there. */
      roi: roi.optional(),
      /**
       * Video: detect only where something moved (a small grey copy of each frame against a background
       * model per camera) and around the faces of the last frames; the whole frame every
       * `full_frame_every` frames, on a shot cut, and when most of the picture changed. See
       * docs/tracking.md.
       */
      motion: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** A whole-frame detection at least every this many frames (a face that stands still is found). */
          full_frame_every: z.int().min(1).max(10_000).default(10),
          /** Grey-level change (1…255, after removing the whole picture's brightness change) that is motion. */
          threshold: z.int().min(1).max(255).default(20),
          /** Moving areas smaller than this many frame pixels are noise. */
          min_area: z.int().min(0).default(400),
          /** Polygons [[x, y], …] in frame pixels where motion is ignored (a screen, a road, trees). */
          masks: z.array(z.array(point).min(3, "a motion mask needs at least 3 points")).default([]),
          /**
           * While every face is stable, detect only every k-th frame (k ≤ max_stride, smaller the faster
           * the faces move) and let the tracker's Kalman filters carry the boxes between; 1 = every frame.
           */
          max_stride: z.int().min(1).max(30).default(3),
        })
        .prefault({}),
    })
    .prefault({}),
  face_filters: z
    .strictObject({
      enable_small_face_filter: z.boolean().default(false),
      min_face_size: z.int().min(0).default(0),
      enable_zone_filter: z.boolean().default(false),
      /** Polygon [[x, y], …] in frame pixels: the face box centre must be inside. */
      zone: z.array(point).min(3, "zone needs at least 3 points").optional(),
      enable_frontal_filter: z.boolean().default(false),
      enable_shift_filter: z.boolean().default(false),
      enable_reid_expiration_filter: z.boolean().default(true),
      /** Largest gap (frames) between two embeddings of a stable track. */
      reid_expiration_frames: z.int().min(1).max(10000).default(30),
    })
    .refine((f) => !f.enable_zone_filter || f.zone !== undefined, {
      message: "enable_zone_filter needs a zone",
      path: ["zone"],
    })
    .prefault({}),
  /**
   * The face-quality gate (vision's assessFaceQuality; each bar measured in `pnpm bench:quality`, see
   * docs/tracking.md): a face below a bar is no evidence of who it is (a track with only such faces stays
   * undetermined, never unknown) and is refused by enrollment; a track whose every judged face is no human
   * face ("not a face") is never confirmed. Defaults are vision's DEFAULT_FACE_QUALITY.
   */
  face_quality: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Smallest distance between the eyes, frame pixels. */
      min_eye_distance: z.number().min(0).default(14),
      /** Smallest sharpness: Laplacian variance over grey variance of the aligned crop's centre. */
      min_sharpness: z.number().min(0).default(0.06),
      /** Largest |yaw|, |pitch| (profile) and |roll| (tilted), degrees. */
      max_yaw: z.number().min(0).max(90).default(35),
      max_pitch: z.number().min(0).max(90).default(35),
      max_roll: z.number().min(0).max(180).default(60),
      min_detector_score: probability("min_detector_score").default(0.7),
      /** Smallest embedding norm before L2 normalisation (0 = not checked). */
      min_embedding_norm: z.number().min(0).default(2.2),
      /** Largest cosine similarity of the embedding to the non-face prototype (beyond: not a face). */
      max_non_face_similarity: z.number().min(-1).max(1).default(0.35),
      /** Largest landmark jump between two judged faces of a track, fraction of the box size. */
      max_landmark_jitter: z.number().min(0).default(0.25),
    })
    .prefault({}),
  tracker: z
    .strictObject({
      /** Detections from this score up to detection.score_threshold only continue existing tracks. */
      low_score_threshold: probability("low_score_threshold").default(0.3),
      /** Max 1 − IoU·score cost to continue a track with a confident detection. */
      match_threshold: probability("match_threshold").default(0.8),
      /** Frames a lost track is kept (at 30 fps; scaled with the frame rate) before it is removed. */
      track_buffer: z.int().min(1).max(10000).default(30),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      /** Which faces raise an alert: none, unknown faces, known faces, or all. */
      alert_mode: z.enum(alertModes).default("ON_UNKNOWNS"),
      /** At most one alert per track. */
      alert_once: z.boolean().default(true),
      /**
       * After an alert for a known identity, no other alert for that identity on any camera for this long
       * (its new tracks included: they are the alert's person "seen again"), seconds; 0 = off.
       */
      cooldown_s: z.number().min(0).max(86_400).default(0),
      /**
       * A new track whose face matches (same_face_threshold) a face of an alert seen within this long, on
       * any camera, is that alert's person "seen again", not a new alert (one alert per unknown person),
       * seconds; 0 = every unknown track alerts.
       */
      unknown_cooldown_s: z.number().min(0).max(86_400).default(300),
      /**
       * Cosine similarity of two tracks' faces (mean embeddings) from which they are the same person, for
       * unknown_cooldown_s. Measured on the Hamilton clip: different people up to 0.37, one person across
       * shots 0.59 (docs/alerts.md).
       */
      same_face_threshold: z.number().min(-1).max(1).default(0.5),
      /** Identities (names) never alerted on, whatever the mode. */
      mute: z.array(z.string().min(1)).default([]),
      /** Identities (names) always alerted on, whatever the mode (except NONE); mute wins over always. */
      always: z.array(z.string().min(1)).default([]),
      /** Frames of the clip recorded around an alert (half before the trigger, half after); 0 = no clips. */
      clip_duration: z.int().min(0).max(9000).default(100),
      /** Also store a copy of each clip with boxes, track IDs and names drawn. */
      clip_annotated: z.boolean().default(false),
      /**
       * Apprise URLs the notifications go to (mailto://, slack://, json:// …; see docs/alerts.md); empty =
       * no notifications. One URL or a list.
       */
      notification_config: z
        .union([z.string().min(1), z.array(z.string().min(1))])
        .transform((v) => (typeof v === "string" ? [v] : v))
        .default([]),
      /** Message body template (Markdown): ${time} ${camera} ${identity} ${similarity} ${track_id} ${url} … (docs/alerts.md). */
      notification_message: template.optional(),
      /** Title template, same placeholders. */
      notification_title: template.optional(),
      /** Time one delivery attempt may take, seconds. */
      notification_timeout_s: z.number().positive().max(600).default(30),
      /** Attempts after the first when a delivery fails (with exponential backoff). */
      notification_retries: z.int().min(0).max(20).default(3),
      /** Alerts of one camera within this window go out as one message, seconds; 0 = one message each. */
      notification_group_s: z.number().min(0).max(600).default(2),
      /**
       * Wait this long for the alert's clip before notifying, so the message carries its URL, seconds
       * (0 = notify at once, without a clip URL). Default: the clip's post-roll plus a margin.
       */
      notification_clip_wait_s: z.number().min(0).max(600).optional(),
      /**
       * Where notifications are sent from: the local `apprise` command (default), or an Apprise API server
       * (the compose deployment's apprise-api container), e.g. http://apprise:8000.
       */
      apprise_api_url: z.url().optional(),
      /**
       * Where the alert service remembers which alert went to which destination and which delivery records
       * went out (local files, fsync'ed), so that a restart of the service or of the bus sends nothing twice.
       */
      notification_state_path: z
        .string()
        .min(1, "notification_state_path must name a directory")
        .default("./data/notify-state"),
      /**
       * Notify when a camera stays down (reconnecting) longer than this, seconds, and again when it is back;
       * 0 = never. Per camera: cameras[].camera_offline_alert_s.
       */
      camera_offline_alert_s: offlineAlertS.default(0),
    })
    .prefault({}),
  /** Where alert clips are stored: a local directory, or an S3/MinIO endpoint with a bucket. */
  storage: z
    .strictObject({
      /** A local directory, or an http(s):// S3 endpoint (MinIO, AWS …). */
      endpoint: z.string().min(1).default("./data/clips"),
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "bucket: 3–63 lowercase letters, digits, '.' or '-'")
        .optional(),
      access_key: z.string().min(1).optional(),
      secret_key: z.string().min(1).optional(),
      region: z.string().min(1).default("us-east-1"),
      /**
       * S3: the endpoint as the recipients of links reach it (https://files.example.org, where a proxy
       * passes requests on to `endpoint`); presigned clip URLs name it, uploads keep using `endpoint`.
       * Unset = presigned URLs name `endpoint`.
       */
      public_endpoint: z
        .string()
        .regex(
          /^https?:\/\/[^/]/i,
          "storage.public_endpoint must be an http:// or https:// URL, e.g. https://files.example.org",
        )
        .refine((url) => URL.canParse(url), "storage.public_endpoint is not a valid URL")
        .optional(),
      /** Lifetime of the presigned clip URLs given in alerts and notifications, seconds. */
      url_expiration_s: z.int().min(1).max(604_800).default(86_400),
      /**
       * The clip recorder's spool: clips waiting for the storage (S3 unreachable), its outbox and ledger.
       * `{instance}` is replaced by the recorder's instance ID (several instances, one disk: one each).
       */
      spool_path: z.string().min(1).default("./data/clip-spool"),
      /** Local storage: clips older than this are removed, days (0 = keep). */
      retention_days: z.number().min(0).default(30),
      /** Local storage: oldest clips removed above this total size, GiB (0 = no limit). */
      max_total_gb: z.number().min(0).default(20),
    })
    .prefault({})
    .refine(
      (s) => !/^https?:\/\//.test(s.endpoint) || (s.bucket && s.access_key && s.secret_key),
      "an S3 endpoint needs bucket, access_key and secret_key",
    )
    .refine((s) => s.public_endpoint === undefined || /^https?:\/\//.test(s.endpoint), {
      message:
        "public_endpoint is for S3 storage (presigned URLs): storage.endpoint is a local directory, whose clips are linked through web.public_url",
      path: ["public_endpoint"],
    }),
  /** Cameras of the pipeline (`facetracker up` and the ingest service); more can be added at run time. */
  cameras: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "camera id: 1–64 letters, digits, '_' or '-'"),
        /** Camera index, /dev/videoN, file path, rtsp:// or http(s):// URL. */
        url: z.union([z.string().min(1), z.int().min(0)]),
        fps: z.number().positive().max(240).optional(),
        resolution: z.tuple([z.int().min(16), z.int().min(16)]).optional(),
        /** Play a file source at its own frame rate, looping, like a live camera. */
        loop: z.boolean().default(false),
        alert_mode: z.enum(alertModes).optional(),
        /** This camera's alerts.camera_offline_alert_s (0 = never for this camera). */
        camera_offline_alert_s: offlineAlertS.optional(),
        /** This camera's restream: mode (default: live_stream.mode) and RTSP path (default: the camera id). */
        live_stream: z
          .strictObject({
            mode: z.enum(liveModes).optional(),
            rtsp_url: z
              .string()
              .regex(/^[A-Za-z0-9_./-]{1,128}$/, "rtsp_url: a path of letters, digits, '_', '-', '.', '/'")
              .optional(),
          })
          .optional(),
      }),
    )
    .default([])
    .refine((list) => new Set(list.map((c) => c.id)).size === list.length, "camera ids must be unique"),
  /** How ingest keeps its cameras coming and rides out a bus outage (docs/reliability.md). */
  ingest: z
    .strictObject({
      /** Delay before a camera that failed is tried again, seconds; doubles with each failure in a row. */
      reconnect_initial_s: seconds("reconnect_initial_s").default(1),
      /** The longest delay between two attempts, seconds (≥ reconnect_initial_s). */
      reconnect_max_s: seconds("reconnect_max_s").default(30),
      /** A live or looped camera that sends no frame for this long is closed and opened again, seconds. */
      stall_timeout_s: seconds("stall_timeout_s").default(10),
      /**
       * While the bus is down, the frames of the last this-many seconds are kept per camera and published
       * when it is back (older ones are dropped and counted); 0 = none kept.
       */
      outage_buffer_s: z
        .number("outage_buffer_s must be a number of seconds")
        .min(0, "outage_buffer_s must be ≥ 0")
        .max(120, "outage_buffer_s must be ≤ 120 (frames older than that are of no use to tracking)")
        .default(10),
    })
    .refine((i) => i.reconnect_max_s >= i.reconnect_initial_s, {
      message: "reconnect_max_s must be ≥ reconnect_initial_s",
      path: ["reconnect_max_s"],
    })
    .prefault({}),
  /**
   * Camera partitions (docs/deploy.md): instances of ingest, track, alert, clip-recorder and restream split the cameras through leases
   * in NATS; a dead instance's cameras are taken over within about lease_ttl_s (and a third).
   */
  partitions: z
    .strictObject({
      /** How long a camera's lease lasts without renewal, seconds (renewed every third of it). */
      lease_ttl_s: z
        .number("lease_ttl_s must be a number of seconds")
        .min(3, "lease_ttl_s must be ≥ 3")
        .max(300, "lease_ttl_s must be ≤ 300")
        .default(7),
    })
    .prefault({}),
  nats: z
    .strictObject({
      /**
       * NATS server URL(s), comma-separated (the servers of a cluster: a service goes on with another when
       * one is lost); `facetracker up` starts its own nats-server when unset.
       */
      url: z.string().min(1).optional(),
      user: z.string().optional(),
      pass: z.string().optional(),
      token: z.string().optional(),
      tls: z
        .strictObject({
          ca_file: z.string().optional(),
          cert_file: z.string().optional(),
          key_file: z.string().optional(),
        })
        .optional(),
    })
    .prefault({}),
  /**
   * The address every listener binds (gRPC, the web page, each service's /healthz and /metrics, `up`'s
   * own) unless its own key says otherwise (api.listen, web.listen, metrics.listen): loopback by default.
   */
  listen_host: listenAddress("listen_host").default("127.0.0.1"),
  api: z
    .strictObject({
      /** gRPC port of the api service. */
      port: z.int().min(0).max(65535).default(50051),
      /** Address the gRPC API binds; unset = listen_host. */
      listen: listenAddress("api.listen").optional(),
      /** Bearer token every API call must carry (authorization: Bearer <token>); unset = no authentication. */
      token: z.string().min(8, "token: at least 8 characters").optional(),
      /** Largest request (uploaded photos or video), bytes. */
      max_upload_bytes: z
        .int()
        .min(1024)
        .default(64 * 1024 * 1024),
      /** Folders whose files FindFacesInFile may read by path; none = paths refused (upload bytes instead). */
      media_roots: z.array(z.string().min(1)).default([]),
      /**
       * Folders whose video devices (/dev/videoN) AddCamera may add as camera sources; none = devices
       * refused at run time (cameras of the configuration file are trusted).
       */
      device_roots: z
        .array(z.string().startsWith("/", "each entry must be an absolute folder (e.g. /dev)"))
        .default([]),
      /**
       * Heavy calls (Enroll, EnrollFace, FindFacesInFile, SearchFaces: decoding and analysis) running at once; one more
       * is refused with RESOURCE_EXHAUSTED, so that memory stays bounded under a burst of uploads.
       */
      max_concurrent_heavy_calls: z
        .int("max_concurrent_heavy_calls must be a whole number")
        .min(1, "max_concurrent_heavy_calls must be at least 1")
        .max(64, "max_concurrent_heavy_calls must be at most 64")
        .default(2),
      /** HTTP port of the operators' web page (live view, tracks, alerts, gallery); 0 = a free port. */
      http_port: z.int().min(0).max(65535).default(8080),
      /**
       * Where the web service reaches the gRPC API (host:port) to change the gallery; unset = the api on
       * this machine (127.0.0.1:<port>).
       */
      address: z.string().min(1).optional(),
    })
    .prefault({}),
  web: z
    .strictObject({
      /** Address the operators' web page (api.http_port) binds; unset = listen_host. */
      listen: listenAddress("web.listen").optional(),
      /**
       * The page's address as operators open it (https://faces.example.org/ behind a TLS proxy): https
       * makes the session cookie Secure, and its origin is accepted on state-changing requests besides
       * the Host a request names. Unset = the Host of each request.
       */
      public_url: z
        .url({
          protocol: /^https?$/,
          error: (issue) =>
            `web.public_url must be an http:// or https:// URL, e.g. https://faces.example.org/, got ${JSON.stringify(issue.input)}`,
        })
        .optional(),
      /**
       * The secret that signs the links of notifications (alert view and clip, opened without a session):
       * the alert and web services both need it; best from the environment (FACETRACKER_WEB__LINK_SECRET).
       * Changing it revokes every link given out. Unset (or empty) = links need a login.
       */
      link_secret: z.preprocess(
        (value) => (value === "" || value === null ? undefined : value),
        z
          .string("web.link_secret must be a string (e.g. from `openssl rand -hex 32`)")
          .min(32, "web.link_secret must be at least 32 characters (e.g. `openssl rand -hex 32`)")
          .optional(),
      ),
      /** How long a signed link works, seconds (default 7 days, at most 90 days). */
      link_ttl_s: z
        .int("web.link_ttl_s must be a whole number of seconds")
        .min(60, "web.link_ttl_s must be at least 60 (one minute)")
        .max(7_776_000, "web.link_ttl_s must be at most 7776000 (90 days)")
        .default(604_800),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /**
       * Address each service's /healthz, /livez and /metrics (and `up`'s own) bind; unset = listen_host.
       * They answer without the token: keep them on loopback or a monitoring network.
       */
      listen: listenAddress("metrics.listen").optional(),
    })
    .prefault({}),
  /** The annotated live stream of each camera (restream service); per camera in cameras[].live_stream. */
  live_stream: z
    .strictObject({
      /** NONE: no restream; LOCAL: a window on this machine (ffplay); WEB: RTSP to MediaMTX (browser via WebRTC/HLS). */
      mode: z.enum(liveModes).default("NONE"),
      /** RTSP server the WEB streams are published to (MediaMTX). */
      rtsp_server: z
        .string()
        .regex(/^rtsps?:\/\//, "rtsp_server must be an rtsp:// URL")
        .refine(
          (url) => !/^rtsps?:\/\/[^/]*@/.test(url),
          "rtsp_server must not hold credentials: set live_stream.user and live_stream.pass (e.g. FACETRACKER_LIVE_STREAM__PASS)",
        )
        .default("rtsp://127.0.0.1:8554"),
      /** Frame rate of the restream at most (frames beyond are dropped). */
      max_fps: z.number().positive().max(60).default(15),
      /**
       * The user the restream publishes as (MediaMTX's publish user) and its password: best from the
       * environment (FACETRACKER_LIVE_STREAM__PASS). They never reach a command line or a log: ffmpeg
       * publishes through a local relay that adds them (RTP over TCP). Both or neither.
       */
      user: z.string().min(1, "live_stream.user must not be empty").optional(),
      pass: z.string().min(1, "live_stream.pass must not be empty").optional(),
    })
    .refine((l) => (l.user === undefined) === (l.pass === undefined), {
      message: "live_stream.user and live_stream.pass go together (the restream's MediaMTX publish user)",
      path: ["pass"],
    })
    .prefault({}),
  enroll: z
    .strictObject({
      /** A new embedding this close to another identity's is refused as a duplicate (unless forced). */
      duplicate_threshold: z.number().min(-1).max(1).optional(),
      /** Store a JPEG thumbnail of each enrolled face. */
      thumbnails: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * The face memory (docs/memory.md): every confirmed track (live cameras, analysed files and clips)
   * remembered in `<db_path>/memory.sqlite` with a few embeddings, and searched by face.
   */
  memory: z
    .strictObject({
      /** Tracks last seen longer ago than this are forgotten, days; 0 = no age limit. */
      retention_days: z
        .number()
        .min(0, "retention_days must be ≥ 0 (0 = no age limit)")
        .max(36_500, "retention_days must be ≤ 36500 (100 years; 0 = no age limit)")
        .default(30),
      /** Most tracks remembered; beyond, the least recently seen are forgotten. */
      max_tracks: z
        .int()
        .min(1, "max_tracks must be at least 1")
        .max(
          500_000,
          "max_tracks must be at most 500000 (every kept embedding is searched in memory, exactly)",
        )
        .default(100_000),
      /** Embeddings kept per track for search, chosen for quality and diversity. */
      embeddings_per_track: z
        .int()
        .min(1, "embeddings_per_track must be at least 1")
        .max(16, "embeddings_per_track must be at most 16")
        .default(3),
      /**
       * Visitors: an unknown track joins the visitor (unknown person) it is most like when its best cosine
       * similarity to one of the visitor's tracks reaches this, and most of them are close too.
       */
      visitor_threshold: z
        .number()
        .min(0.1, "visitor_threshold must be at least 0.1")
        .max(0.95, "visitor_threshold must be at most 0.95")
        .default(0.4),
    })
    .prefault({}),
  runtime: z
    .strictObject({
      /** onnxruntime intra-op threads per model; 0 = onnxruntime's choice. */
      threads: z.int().min(0).max(256).default(0),
      provider: z.enum(providers).default("cpu"),
      /** onnxruntime worker threads busy-wait between operators: faster with spare cores, slower on 2. */
      spin_wait: z.boolean().default(false),
      /** Images decoded ahead of inference by recognizeBatch. */
      prefetch: z.int().min(1).max(64).default(4),
      /**
       * Worker threads of a detect service, each with its own models (onnxruntime runs on the calling
       * thread, so one thread is one core at most); 0 = one per core.
       */
      detect_workers: z.int().min(0).max(64).default(0),
    })
    .prefault({}),
  /** Bounds on what is decoded. */
  limits: z
    .strictObject({
      /**
       * Images with more pixels (width × height) are refused before they are decoded, with their size in
       * the message (checked from the header); the default is 50 MP (DEFAULT_MAX_IMAGE_PIXELS of vision).
       */
      max_image_pixels: z
        .int("max_image_pixels must be a whole number of pixels")
        .min(1, "max_image_pixels must be at least 1")
        .max(Number.MAX_SAFE_INTEGER, "max_image_pixels is too large")
        .default(DEFAULT_MAX_IMAGE_PIXELS),
    })
    .prefault({}),
});

export type FaceTrackerConfig = z.output<typeof configSchema>;
export type FaceTrackerConfigInput = z.input<typeof configSchema>;
