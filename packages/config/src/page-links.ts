/**
 * Links to the operators' web page that recipients of a notification open without a session: the alert
 * view `<web.public_url>/alerts/<alert id>?exp=<unix s>&sig=<hex>` and the clip
 * `<web.public_url>/clips/<key>?exp=…&sig=…`. The signature is HMAC-SHA256 over the resource and the
 * expiry, keyed by HMAC-SHA256(web.link_secret, "facetracker link signing v1"), so the alert service
 * (which makes the links) and the web service (which checks them) share only web.link_secret. A link
 * opens one alert or one clip until it expires (web.link_ttl_s); changing web.link_secret revokes all.
 */

import { createHmac, timingSafeEqual } from "node:crypto";
import type { FaceTrackerConfig } from "./schema.ts";

/** The HMAC key of the links is derived from web.link_secret with this label (a new label revokes all). */
export const LINK_SIGNING_LABEL = "facetracker link signing v1";

/** What a signed link gives access to: one alert (its view and face picture) or one clip file. */
export type LinkResource = { kind: "alert"; id: string } | { kind: "clip"; key: string };

/** The outcome of checking a link: valid, expired (the signature is right), or not a valid link at all. */
export type LinkCheck = "valid" | "expired" | "invalid";

const SIGNATURE = /^[0-9a-f]{64}$/;
const EXPIRY = /^\d{1,12}$/;

function resourceText(resource: LinkResource): string {
  return resource.kind === "alert" ? `alert:${resource.id}` : `clip:${resource.key}`;
}

/** Signs and checks links with a secret (see the module comment). */
export class LinkSigner {
  readonly #key: Buffer;
  /** How long the links it makes work, seconds. */
  readonly ttlS: number;

  constructor(secret: string, ttlS: number) {
    if (typeof secret !== "string" || secret.length < 32) {
      throw new TypeError("LinkSigner: the secret must be a string of at least 32 characters");
    }
    if (!(Number.isInteger(ttlS) && ttlS > 0)) {
      throw new TypeError(`LinkSigner: ttlS must be a positive whole number of seconds, got ${ttlS}`);
    }
    this.#key = createHmac("sha256", secret).update(LINK_SIGNING_LABEL).digest();
    this.ttlS = ttlS;
  }

  /** The hex signature of `resource` valid until `expS` (Unix seconds). */
  sign(resource: LinkResource, expS: number): string {
    return createHmac("sha256", this.#key)
      .update(`${resourceText(resource)}\n${expS}`)
      .digest("hex");
  }

  /** The query of a link to `resource` made at `nowMs`: `{ exp, sig }`. */
  query(resource: LinkResource, nowMs = Date.now()): { exp: string; sig: string } {
    const exp = Math.floor(nowMs / 1000) + this.ttlS;
    return { exp: String(exp), sig: this.sign(resource, exp) };
  }

  /**
   * Whether `exp` and `sig` (a link's query values) are a signature of `resource` (compared in constant
   * time) that has not expired at `nowMs`. A tampered, foreign or malformed link is "invalid"; only a
   * genuine one is ever "expired".
   */
  check(
    resource: LinkResource,
    exp: string | null | undefined,
    sig: string | null | undefined,
    nowMs = Date.now(),
  ): LinkCheck {
    if (typeof exp !== "string" || typeof sig !== "string" || !EXPIRY.test(exp) || !SIGNATURE.test(sig)) {
      return "invalid";
    }
    const expected = Buffer.from(this.sign(resource, Number(exp)), "hex");
    if (!timingSafeEqual(expected, Buffer.from(sig, "hex"))) return "invalid";
    return Number(exp) * 1000 > nowMs ? "valid" : "expired";
  }
}

/** `door/2026-12-07/101500-door-1-20.mp4` as a URL path (each segment escaped). */
export function keyPath(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

/** Links to the page's alert and clip views at web.public_url, signed when web.link_secret is set. */
export class PageLinks {
  /** web.public_url with a trailing slash. */
  readonly base: string;
  /** The signer; undefined without web.link_secret (the links then need a login on the page). */
  readonly signer: LinkSigner | undefined;

  constructor(publicUrl: string, signer?: LinkSigner) {
    const base = new URL(publicUrl);
    base.search = "";
    base.hash = "";
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.base = base.href;
    this.signer = signer;
  }

  /** Whether the links open without a session. */
  get signed(): boolean {
    return this.signer !== undefined;
  }

  /** The alert view of `alertId`: `<public_url>/alerts/<id>?exp=…&sig=…`. */
  alertUrl(alertId: string, nowMs = Date.now()): string {
    return this.#link(`alerts/${encodeURIComponent(alertId)}`, { kind: "alert", id: alertId }, nowMs);
  }

  /** The clip file `key`: `<public_url>/clips/<key>?exp=…&sig=…`. */
  clipUrl(key: string, nowMs = Date.now()): string {
    return this.#link(`clips/${keyPath(key)}`, { kind: "clip", key }, nowMs);
  }

  #link(path: string, resource: LinkResource, nowMs: number): string {
    const url = new URL(path, this.base);
    if (this.signer) {
      const { exp, sig } = this.signer.query(resource, nowMs);
      url.searchParams.set("exp", exp);
      url.searchParams.set("sig", sig);
    }
    return url.href;
  }
}

/** The signer of the configuration: undefined without web.link_secret. */
export function linkSigner(config: Pick<FaceTrackerConfig, "web">): LinkSigner | undefined {
  const { link_secret: secret, link_ttl_s: ttl } = config.web;
  return secret ? new LinkSigner(secret, ttl) : undefined;
}

/** The page links of the configuration: undefined without web.public_url. */
export function pageLinks(config: Pick<FaceTrackerConfig, "web">): PageLinks | undefined {
  const url = config.web.public_url;
  return url ? new PageLinks(url, linkSigner(config)) : undefined;
}
