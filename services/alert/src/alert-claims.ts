/**
 * One alert per person across alert instances. Several alert instances split the cameras (see
 * CameraLeases); they share the site's recent faces through ft_alert_memory, but a face reaches the others
 * a few milliseconds after its alert was published: two instances judging the same person at the same
 * moment on two cameras would both alert. Before an alert of a known person (identity) or of a face
 * memory's visitor is published, the instance claims the person in the KV bucket ft_alert_claims (see
 * openKeyClaims): exactly one instance wins within the cooldown. The loser waits for the winner's face to
 * reach its recent faces and judges the event again: a "seen again" update of the winner's alert.
 */

import { createHash } from "node:crypto";
import { type Bus, type KeyClaimResult, openKeyClaims } from "@facetracker/bus";

export const ALERT_CLAIMS_BUCKET = "ft_alert_claims";
/** The server removes claims older than this: the longest cooldown the configuration allows, with a margin. */
const BUCKET_TTL_MS = 2 * 86_400_000;

/** Who a claim is for: a known identity or a face memory's visitor. */
export type ClaimedPerson = { identity: string } | { visitor: number };

export interface AlertClaims {
  /** Claims `person` for the alert `alertId` of `camera` captured at `timeMs` (see KeyClaims.claim). */
  claim(
    person: ClaimedPerson,
    alert: { alertId: string; camera: string; timeMs: number },
    cooldownMs: number,
  ): Promise<KeyClaimResult>;
}

/** The claim's key: `visitor.<n>`, or `known.<hash of the identity ID>` (an ID may hold any character). */
export function claimKey(person: ClaimedPerson): string {
  if ("visitor" in person) return `visitor.${person.visitor}`;
  return `known.${createHash("sha256").update(person.identity).digest("hex").slice(0, 32)}`;
}

/** Opens (creating when missing) the claims bucket. */
export async function openAlertClaims(js: Bus["js"]): Promise<AlertClaims> {
  const claims = await openKeyClaims(js, ALERT_CLAIMS_BUCKET, {
    ttlMs: BUCKET_TTL_MS,
    description: "which alert claimed each person (one alert per person across alert instances)",
  });
  return {
    claim: (person, { alertId, camera, timeMs }, cooldownMs) =>
      claims.claim(claimKey(person), { id: alertId, camera, timeMs }, cooldownMs),
  };
}
