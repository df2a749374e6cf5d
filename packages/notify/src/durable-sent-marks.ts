/**
 * DurableSentMarks: the SentMarks of a service, kept where they survive what they guard against. A
 * notification's record is published on the bus after the send; when that publish fails, the bus is
 * down, so the marks are first written to a local file (a MarkerLog, fsync'ed before markSent resolves),
 * which is there while the bus is not. A copy goes to a shared store (the bus's KV bucket) when it can be
 * reached, so that the service started on another machine, without the file, still finds them; a copy
 * that could not be made is kept in the file as "not copied" and made by flush().
 */

import { MarkerLog } from "@facetracker/infra";
import type { SentMarks } from "./alert-notifier.ts";

/** A shared store of marks (e.g. a KV bucket), keyed by remoteMarkKey. */
export interface RemoteMarks {
  has(key: string): Promise<boolean>;
  put(key: string): Promise<void>;
}

/** Options of DurableSentMarks.open. */
export interface DurableSentMarksOptions {
  /** The local marker file (created with its directory). */
  path: string;
  /** Marks older than this are forgotten, ms: the longest an alert can come back (its stream's max age). */
  maxAgeMs: number;
  /** The shared copy, when there is one. */
  remote?: RemoteMarks;
  /** Longest wait for the shared store, ms (default 2000): when the bus is down, it does not answer. */
  remoteTimeoutMs?: number;
  /** A read or a copy of the shared store failed (the local file still holds the mark). */
  onRemoteError?: (error: unknown, key: string) => void;
}

/** The value of a local mark: whether the shared store has its copy. */
interface LocalMark {
  copied: boolean;
}

/**
 * The key of a mark in the shared store: `<alert>.<destination>`, the alert ID kept as it is when it is
 * made of letters, digits, '_' and '-' (every alert ID of the pipeline), else base64url-encoded.
 */
export function remoteMarkKey(alertId: string, destination: string): string {
  const alert = /^[\w-]+$/.test(alertId) ? alertId : `b64_${Buffer.from(alertId).toString("base64url")}`;
  return `${alert}.${destination}`;
}

const localKey = (alertId: string, destination: string) => `${alertId}\u0000${destination}`;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Sent-marks in a local file first, copied to a shared store when it can be reached. */
export class DurableSentMarks implements SentMarks {
  readonly #log: MarkerLog<LocalMark>;
  readonly #remote: RemoteMarks | undefined;
  readonly #timeoutMs: number;
  readonly #onRemoteError: (error: unknown, key: string) => void;
  /** Local keys whose copy is still to be made, with their remote keys. */
  readonly #uncopied = new Map<string, string>();
  #flushing: Promise<number> | undefined;

  private constructor(log: MarkerLog<LocalMark>, options: DurableSentMarksOptions) {
    this.#log = log;
    this.#remote = options.remote;
    this.#timeoutMs = options.remoteTimeoutMs ?? 2000;
    this.#onRemoteError = options.onRemoteError ?? (() => {});
    if (this.#remote) {
      for (const [key, mark] of log.entries()) {
        const [alertId = "", destination = ""] = key.split("\u0000");
        if (!mark.copied) this.#uncopied.set(key, remoteMarkKey(alertId, destination));
      }
    }
  }

  /** Opens the local file (rejects naming it when it is damaged or cannot be written). */
  static async open(options: DurableSentMarksOptions): Promise<DurableSentMarks> {
    const log = await MarkerLog.open<LocalMark>(options.path, { maxAgeMs: options.maxAgeMs });
    return new DurableSentMarks(log, options);
  }

  /** Marks held in the local file. */
  get size(): number {
    return this.#log.size;
  }

  /** Marks not copied to the shared store yet. */
  get uncopied(): number {
    return this.#uncopied.size;
  }

  /** The local file first; else the shared store (bounded; unreachable counts as not sent). */
  async wasSent(alertId: string, destination: string): Promise<boolean> {
    if (this.#log.has(localKey(alertId, destination))) return true;
    if (!this.#remote) return false;
    const key = remoteMarkKey(alertId, destination);
    let found: boolean;
    try {
      found = await within(this.#remote.has(key), this.#timeoutMs, `reading sent-mark ${key}`);
    } catch (error) {
      this.#onRemoteError(error, key);
      return false;
    }
    // Sent from another machine: remembered here too.
    if (found) await this.#log.set([[localKey(alertId, destination), { copied: true }]]);
    return found;
  }

  /**
   * Written to the local file (durable when this resolves); the copy to the shared store follows in the
   * background (not waited for: the bus may be down).
   */
  async markSent(alertIds: readonly string[], destination: string): Promise<void> {
    const keys = alertIds.map((id) => localKey(id, destination));
    await this.#log.set(keys.map((key) => [key, { copied: !this.#remote }]));
    if (!this.#remote) return;
    alertIds.forEach((id, i) => {
      this.#uncopied.set(keys[i] as string, remoteMarkKey(id, destination));
    });
    void this.flush();
  }

  /** Copies the marks not yet in the shared store; resolves with how many are still not copied. */
  flush(): Promise<number> {
    this.#flushing ??= this.#copy().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #copy(): Promise<number> {
    const remote = this.#remote;
    if (!remote) return 0;
    // The live map: marks added while copying are copied in this round too.
    for (const [key, remoteKey] of this.#uncopied) {
      try {
        await within(remote.put(remoteKey), this.#timeoutMs, `copying sent-mark ${remoteKey}`);
      } catch (error) {
        this.#onRemoteError(error, remoteKey);
        break; // the store is unreachable: the rest waits for the next flush
      }
      this.#uncopied.delete(key);
      await this.#log.set([[key, { copied: true }]]).catch(() => {});
    }
    return this.#uncopied.size;
  }

  /** Closes the local file (after the writes in progress). */
  async close(): Promise<void> {
    await this.#flushing?.catch(() => {});
    await this.#log.close();
  }
}
