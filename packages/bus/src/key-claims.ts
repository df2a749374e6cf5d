/**
 * Claims in a key-value bucket: exactly one of several processes wins a key for a while. A claim is a
 * value `{ id, timeMs, … }` under the key, written with a create (nobody holds the key) or an update by
 * revision (the holder's claim is `windowMs` or more older than the new one, or is the same `id` again):
 * the server takes only one of two racing writes, so two processes never both win. Used by the alert
 * service for one alert per person across its instances.
 */

import type { JetStreamClient } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { raiseBucketReplicas, stateReplicas } from "./replicas.ts";

/** What a claim holds: who claimed (an ID), when, and anything else the caller keeps with it. */
export interface KeyClaim {
  id: string;
  /** The claim's time, ms since the epoch (the claimed event's time, not the clock's). */
  timeMs: number;
  [more: string]: unknown;
}

export type KeyClaimResult = { won: true } | { won: false; holder: KeyClaim };

export interface KeyClaims {
  /**
   * Claims `key`: won when nobody holds it, the holder's claim has the same id (a retry), or it is
   * `windowMs` or more older than `claim`; lost, with the holder's claim, otherwise.
   */
  claim(key: string, claim: KeyClaim, windowMs: number): Promise<KeyClaimResult>;
}

/** Tries of a claim whose key another process changed between the read and the write. */
const TRIES = 4;

function parseClaim(text: string): KeyClaim | undefined {
  try {
    const value = JSON.parse(text) as Partial<KeyClaim>;
    return typeof value.id === "string" && typeof value.timeMs === "number" ? (value as KeyClaim) : undefined;
  } catch {
    return undefined;
  }
}

/** Opens (creating when missing) a claims bucket whose keys the server removes after `ttlMs`. */
export async function openKeyClaims(
  js: JetStreamClient,
  bucket: string,
  { ttlMs, description }: { ttlMs: number; description: string },
): Promise<KeyClaims> {
  const replicas = stateReplicas(js);
  const kv: KV = await new Kvm(js).create(bucket, { history: 1, replicas, ttl: ttlMs, description });
  await raiseBucketReplicas(js, bucket, replicas);
  return {
    async claim(key, claim, windowMs) {
      const value = JSON.stringify(claim);
      let holder: KeyClaim | undefined;
      for (let attempt = 0; attempt < TRIES; attempt++) {
        const entry = await kv.get(key);
        const held = entry?.operation === "PUT";
        holder = held ? parseClaim(entry.string()) : undefined;
        if (held && holder && holder.id !== claim.id && claim.timeMs - holder.timeMs < windowMs) {
          return { won: false, holder };
        }
        try {
          if (held) await kv.update(key, value, entry.revision);
          else await kv.create(key, value);
          return { won: true };
        } catch (error) {
          // Another process wrote the key between the read and the write: read it again.
          if (!/wrong last sequence|key exists/i.test((error as Error).message)) throw error;
        }
      }
      if (holder) return { won: false, holder };
      throw new Error(`${bucket}: ${key} kept changing; tried ${TRIES} times`);
    },
  };
}
