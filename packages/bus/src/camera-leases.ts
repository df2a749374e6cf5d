/**
 * Camera partitions: several instances of a per-camera service (ingest, track, alert, clip-recorder,
 * restream) split the cameras between
 * them, each camera owned by exactly one live instance at a time. Ownership is a lease in the
 * ft_camera_leases key-value bucket (key `<service>.<camera>` → `{ instance, sinceMs }`), whose entries the
 * server removes after the lease TTL (the bucket's max age): the owner renews it every TTL/3 with an update
 * by revision, so two instances can never both believe they hold it (a failed update means the lease was
 * lost: the camera is let go). Members announce themselves in ft_instances (key `<service>.<instance>`,
 * same TTL, refreshed every TTL/3). Renewals (the heartbeat) run apart from the rounds below, so a camera
 * slow to start does not let the instance's membership or its other leases expire.
 *
 * Which member should own a camera is rendezvous hashing over the live members (highest hash of camera and
 * instance), so every member computes the same answer and a join or a death moves only the cameras it must.
 * Each tick (every TTL/3, at once on start, and on a change of members, leases or cameras): a camera this
 * instance should own and nobody holds is created (fails if another got it first); a held one that another member now outranks is released (stopped, its state saved, the key deleted) so
 * that member takes it at once; a camera held by a dead member waits for its lease to expire (at most one
 * TTL after its last renewal), then its rightful owner creates it. An instance restarted under the same ID
 * (FACETRACKER_INSTANCE, else `<hostname>-<service>`) finds its own leases and takes them back at once.
 */

import { createHash } from "node:crypto";
import os from "node:os";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  StorageType,
} from "@nats-io/jetstream";
import { type KV, Kvm, KvWatchInclude } from "@nats-io/kv";
import { liveKeys } from "./kv-keys.ts";
import { type BusLogger, stderrLogger } from "./logger.ts";
import { raiseBucketReplicas, stateReplicas } from "./replicas.ts";
import { validateCameraId } from "./subjects.ts";

export const CAMERA_LEASES_BUCKET = "ft_camera_leases";
export const INSTANCES_BUCKET = "ft_instances";
/** Default lease TTL, ms (config partitions.lease_ttl_s). */
export const DEFAULT_LEASE_TTL_MS = 7000;
/** The shortest lease TTL, ms: renewals every TTL/3 must fit several round trips. */
export const MIN_LEASE_TTL_MS = 3_000;

export interface CameraLeasesOptions {
  /** The service whose cameras are split (ingest, track). */
  service: string;
  /** This instance's ID, stable across its restarts (see instanceId). */
  instance: string;
  /** Lease TTL, ms (default 7 s, at least 3 s: taken over within 10 s). */
  ttlMs?: number;
  /** The cameras to split, now. */
  cameras: () => Iterable<string>;
  /** This instance now owns the camera: start it. Calls for one camera never overlap. */
  onAcquire: (camera: string) => Promise<void>;
  /** This instance no longer owns the camera (or is stopping): stop it, saving its state. */
  onRelease: (camera: string) => Promise<void>;
  logger?: BusLogger;
}

type Settings = Required<Omit<CameraLeasesOptions, "logger">> & { logger: BusLogger };

interface Lease {
  instance: string;
  sinceMs: number;
}

/**
 * The instance ID of a service process: FACETRACKER_INSTANCE when set, else `<hostname>-<service>` (a
 * container's hostname is its own; `-<worker>` is added for the workers of one process). Characters a
 * key-value key cannot hold become '_'.
 */
export function instanceId(service: string, worker?: number, env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.FACETRACKER_INSTANCE || `${os.hostname()}-${service}${worker !== undefined ? `-${worker}` : ""}`;
  return base.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * The lease is no longer ours: it expired, or another instance holds it (the update by revision was
 * refused). Any other failure (the bus down, a timeout) says nothing about it.
 */
function isLost(error: unknown): boolean {
  return (
    (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) ||
    /wrong last sequence/i.test(error instanceof Error ? error.message : String(error))
  );
}

/**
 * The instance that holds `camera`'s lease for `service` now (undefined: nobody, or the bucket is not
 * there), read from the leases' stream: for tests, benchmarks and operators' tools.
 */
export async function cameraLeaseHolder(
  jsm: JetStreamManager,
  service: string,
  camera: string,
): Promise<string | undefined> {
  try {
    const stored = await jsm.streams.getMessage(`KV_${CAMERA_LEASES_BUCKET}`, {
      last_by_subj: `$KV.${CAMERA_LEASES_BUCKET}.${service}.${camera}`,
    });
    if (!stored || stored.data.length === 0) return undefined;
    return (stored.json() as Lease).instance;
  } catch {
    return undefined;
  }
}

/** The member that should own `camera`: the highest hash of (camera, member). */
export function desiredOwner(camera: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = "";
  for (const member of members) {
    const score = createHash("sha256").update(`${camera}\u0000${member}`).digest("hex");
    if (best === undefined || score > bestScore || (score === bestScore && member > best)) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Opens (creating when missing) a bucket whose keys expire after `ttlMs`; an existing bucket with another
 * max age (partitions.lease_ttl_s changed) is brought to this one, else renewals would not keep up.
 */
async function openTtlBucket(
  js: JetStreamClient,
  name: string,
  ttlMs: number,
  description: string,
  logger: BusLogger,
): Promise<KV> {
  const replicas = stateReplicas(js);
  const kv = await new Kvm(js).create(name, {
    // On disk: a restarted nats-server still has them (a bucket created in memory by an earlier version
    // is re-created when it is gone, see CameraLeases.#reopen).
    storage: StorageType.File,
    history: 1,
    replicas,
    ttl: ttlMs,
    description,
  });
  await raiseBucketReplicas(js, name, replicas);
  const jsm = await js.jetstreamManager();
  const { config } = await jsm.streams.info(`KV_${name}`);
  const maxAge = ttlMs * 1_000_000;
  if (config.max_age !== maxAge) {
    logger.warn("camera leases: the bucket's TTL differs from partitions.lease_ttl_s: updated", {
      bucket: name,
      was_s: config.max_age / 1e9,
      now_s: ttlMs / 1000,
    });
    await jsm.streams.update(`KV_${name}`, { ...config, max_age: maxAge });
  }
  return kv;
}

/** Opens (creating when missing) both buckets. */
async function openBuckets(
  js: JetStreamClient,
  ttlMs: number,
  logger: BusLogger,
): Promise<{ leases: KV; members: KV }> {
  const leases = await openTtlBucket(
    js,
    CAMERA_LEASES_BUCKET,
    ttlMs,
    "FaceTracker camera partitions: which instance owns each camera (<service>.<camera>)",
    logger,
  );
  const members = await openTtlBucket(
    js,
    INSTANCES_BUCKET,
    ttlMs,
    "FaceTracker live instances of the per-camera services (<service>.<instance>)",
    logger,
  );
  return { leases, members };
}

/**
 * The bucket is not there: a write to it finds no stream (JetStream answers "no responders", which
 * nats.js reports as JetStream not enabled), or its stream is not found.
 */
function isMissingBucket(error: unknown): boolean {
  const e = error as { name?: string; message?: string; code?: number } | undefined;
  return (
    e?.name === "JetStreamNotEnabled" ||
    (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) ||
    /jetstream is not enabled|stream not found|no responders/i.test(e?.message ?? "")
  );
}

export class CameraLeases {
  readonly #options: Settings;
  /** The live members seen at the last round. */
  #known = new Set<string>();
  #leases: KV;
  #members: KV;
  readonly #js: JetStreamClient;
  /** The buckets being opened again (see #reopen). */
  #reopening: Promise<void> | undefined;
  /** Held cameras → the revision of our lease. */
  readonly #held = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #watchers: { stop(): void }[] = [];
  #running: Promise<void> = Promise.resolve();
  #again = false;
  #ticking = false;
  #stopped = false;
  /** Held cameras whose renewal found the lease lost: let go at the next round. */
  readonly #lost = new Set<string>();
  /** The renewal in progress (see #heartbeat). */
  #beat: Promise<void> | undefined;

  private constructor(options: Settings, js: JetStreamClient, leases: KV, members: KV) {
    this.#js = js;
    this.#options = options;
    this.#leases = leases;
    this.#members = members;
  }

  /**
   * Opens the buckets, runs the first tick (a lone instance then owns every camera) and keeps ticking
   * until stop().
   */
  static async start(js: JetStreamClient, options: CameraLeasesOptions): Promise<CameraLeases> {
    const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!(ttlMs >= MIN_LEASE_TTL_MS)) {
      throw new Error(`camera leases: the lease TTL must be at least ${MIN_LEASE_TTL_MS} ms, not ${ttlMs}`);
    }
    if (!/^[A-Za-z0-9_-]+$/.test(options.service) || !/^[A-Za-z0-9_-]+$/.test(options.instance)) {
      throw new Error(
        `camera leases: service ${JSON.stringify(options.service)} and instance ${JSON.stringify(options.instance)} must be letters, digits, '_' or '-'`,
      );
    }
    const logger = options.logger ?? stderrLogger;
    const { leases, members } = await openBuckets(js, ttlMs, logger);
    const self = new CameraLeases({ ...options, ttlMs, logger }, js, leases, members);
    // Renewals and rounds every TTL/3 from now on: the first round may wait long on its cameras' starts.
    self.#timer = setInterval(
      () => {
        self.#heartbeat();
        self.changed();
      },
      Math.floor(ttlMs / 3),
    );
    self.#timer.unref();
    // The first round at once: a lone instance owns every camera before its service says it is ready.
    await self.#tick().catch((error: unknown) => {
      logger.warn("camera leases: the first round failed; trying again at the next", {
        service: options.service,
        error: error as Error,
      });
    });
    await self.#watch();
    return self;
  }

  /** Watches the service's members and leases: a join or a lease let go runs a round at once. */
  async #watch(): Promise<void> {
    for (const w of this.#watchers) w.stop();
    this.#watchers = [];
    const prefix = `${this.#options.service}.`;
    for (const kv of [this.#members, this.#leases]) {
      const watcher = await kv.watch({ key: `${prefix}>`, include: KvWatchInclude.UpdatesOnly });
      this.#watchers.push(watcher);
      const members = kv === this.#members;
      void (async () => {
        for await (const entry of watcher) {
          // A member joined or a lease was let go: act now rather than at the next tick.
          const joined = entry.operation === "PUT" && !this.#known.has(entry.key.slice(prefix.length));
          if (members ? joined : entry.operation !== "PUT") this.changed();
        }
      })().catch(() => {});
    }
  }

  /**
   * `work` on the buckets; when they are gone (a nats-server restarted without them, a bucket deleted),
   * they are created again, the cameras held written back, and `work` tried once more.
   */
  async #onBuckets<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!isMissingBucket(error)) throw error;
      this.#reopening ??= this.#reopen().finally(() => {
        this.#reopening = undefined;
      });
      await this.#reopening;
      return work();
    }
  }

  async #reopen(): Promise<void> {
    const { instance, logger, service, ttlMs } = this.#options;
    logger.warn("camera leases: the buckets are gone (nats-server restarted?): creating them again", {
      service,
    });
    const { leases, members } = await openBuckets(this.#js, ttlMs, logger);
    this.#leases = leases;
    this.#members = members;
    for (const camera of [...this.#held.keys()]) {
      const key = this.#leaseKey(camera);
      try {
        this.#held.set(camera, await leases.create(key, JSON.stringify({ instance, sinceMs: Date.now() })));
      } catch {
        // Written meanwhile: ours still (the bucket was there after all), or another instance's.
        const entry = await leases.get(key).catch(() => null);
        const holder = entry?.operation === "PUT" ? (entry.json() as Lease).instance : undefined;
        if (holder === instance && entry) this.#held.set(camera, entry.revision);
        else if (this.#held.has(camera)) this.#lost.add(camera);
      }
    }
    if (!this.#stopped) await this.#watch();
  }

  /** The instance's ID. */
  get instance(): string {
    return this.#options.instance;
  }

  /** The cameras this instance owns now. */
  owned(): string[] {
    return [...this.#held.keys()].sort();
  }

  holds(camera: string): boolean {
    return this.#held.has(camera);
  }

  /** The cameras or members changed: runs a tick soon (after the one in progress). */
  changed(): void {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#running = this.#tick().catch((error: unknown) => {
      this.#options.logger.warn("camera leases: a round failed; trying again at the next", {
        service: this.#options.service,
        error: error as Error,
      });
    });
  }

  /** Releases every camera (each stopped, then its key deleted) and stops. */
  async stop(): Promise<void> {
    this.#halt();
    await this.#running;
    await this.#beat;
    for (const camera of this.owned()) await this.#release(camera, true);
    await this.#members.delete(this.#memberKey()).catch(() => {});
  }

  /**
   * Stops renewing without releasing anything, as a killed process would (tests): its leases and its
   * membership expire after the TTL.
   */
  async abandon(): Promise<void> {
    this.#halt();
    await this.#running;
    await this.#beat;
  }

  /**
   * Renews this instance's membership and every lease it holds, every TTL/3, apart from the rounds: a
   * round may wait long on a camera's start (onAcquire: a track instance restoring and replaying a
   * camera on a loaded machine), and neither the membership nor the other leases may expire meanwhile
   * (the others would take the cameras while this instance still runs them). A lease whose update by
   * revision is refused was lost: the next round lets the camera go.
   */
  #heartbeat(): void {
    if (this.#beat || this.#stopped) return;
    const { instance, logger, service } = this.#options;
    this.#beat = (async () => {
      await this.#onBuckets(() =>
        this.#members.put(this.#memberKey(), JSON.stringify({ sinceMs: Date.now() })),
      );
      for (const [camera, revision] of [...this.#held]) {
        if (this.#stopped) return;
        try {
          const value = JSON.stringify({ instance, sinceMs: Date.now() } satisfies Lease);
          const next = await this.#leases.update(this.#leaseKey(camera), value, revision);
          // Released (or renewed by a round) meanwhile: that revision is the one that counts.
          if (this.#held.get(camera) === revision) this.#held.set(camera, next);
        } catch (error) {
          if (!isLost(error)) throw error; // the bus is unreachable: renewed at the next beat
          if (this.#held.get(camera) !== revision) continue;
          logger.warn("camera lease lost: letting the camera go", { service, camera, error: error as Error });
          this.#lost.add(camera);
          this.changed();
        }
      }
    })()
      .catch((error: unknown) => {
        logger.warn("camera leases: a renewal failed; trying again at the next", {
          service,
          error: error as Error,
        });
      })
      .finally(() => {
        this.#beat = undefined;
      });
  }

  #halt(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const w of this.#watchers) w.stop();
  }

  #memberKey(): string {
    return `${this.#options.service}.${this.#options.instance}`;
  }

  #leaseKey(camera: string): string {
    return `${this.#options.service}.${validateCameraId(camera)}`;
  }

  async #liveMembers(): Promise<string[]> {
    const prefix = `${this.#options.service}.`;
    const members = new Set([this.#options.instance]);
    const jsm = await this.#js.jetstreamManager();
    for (const key of await liveKeys(jsm, this.#members, INSTANCES_BUCKET, prefix)) {
      members.add(key.slice(prefix.length));
    }
    return [...members];
  }

  async #tick(): Promise<void> {
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        if (this.#stopped) return;
        await this.#round();
      } while (this.#again);
    } finally {
      this.#ticking = false;
    }
  }

  async #round(): Promise<void> {
    const { instance, logger, service } = this.#options;
    await this.#onBuckets(() =>
      this.#members.put(this.#memberKey(), JSON.stringify({ sinceMs: Date.now() })),
    );
    const members = await this.#liveMembers();
    this.#known = new Set(members);
    const cameras = new Set(this.#options.cameras());
    for (const camera of [...this.#lost]) {
      this.#lost.delete(camera);
      await this.#release(camera, false);
    }
    for (const camera of this.owned()) {
      if (!cameras.has(camera)) await this.#release(camera, true);
    }
    for (const camera of [...cameras].sort()) {
      if (this.#stopped) return;
      const key = this.#leaseKey(camera);
      const mine = desiredOwner(camera, members) === instance;
      const value = JSON.stringify({ instance, sinceMs: Date.now() } satisfies Lease);
      if (this.#held.has(camera)) {
        // Held: renewed by the heartbeat; handed over when another member outranks this one.
        if (!mine) {
          logger.info("camera handed over to the member that outranks this one", { service, camera });
          await this.#release(camera, true);
        }
        continue;
      }
      if (!mine) continue;
      const entry = await this.#leases.get(key);
      let holder: string | undefined;
      if (entry?.operation === "PUT") {
        try {
          holder = (entry.json() as Lease).instance;
        } catch {
          holder = undefined;
        }
      }
      try {
        if (holder === undefined) this.#held.set(camera, await this.#leases.create(key, value));
        else if (holder === instance) {
          // Our own lease from before a restart: taken back at once.
          this.#held.set(camera, await this.#leases.update(key, value, entry?.revision ?? 0));
        } else continue; // still held by another (a dead member's lease expires after the TTL)
      } catch {
        continue; // another instance was faster; the next round sees who holds it
      }
      logger.info("camera acquired", { service, camera, instance });
      try {
        await this.#options.onAcquire(camera);
      } catch (error) {
        logger.warn("camera could not be started: letting it go", { service, camera, error: error as Error });
        await this.#release(camera, true);
      }
    }
  }

  /** Stops the camera here, then (when `letGo`) deletes the lease so its new owner takes it at once. */
  async #release(camera: string, letGo: boolean): Promise<void> {
    await this.#beat; // a renewal in flight changes the revision
    const revision = this.#held.get(camera);
    if (revision === undefined) return;
    this.#held.delete(camera);
    try {
      await this.#options.onRelease(camera);
    } catch (error) {
      this.#options.logger.warn("camera did not stop cleanly", {
        service: this.#options.service,
        camera,
        error: error as Error,
      });
    }
    if (letGo) {
      await this.#leases.delete(this.#leaseKey(camera), { previousSeq: revision }).catch(() => {});
    }
    this.#options.logger.info("camera released", { service: this.#options.service, camera });
  }
}
