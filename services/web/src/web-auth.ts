/**
 * Access to the operators' web page with api.token: the same bearer token as the gRPC API, given as
 * `Authorization: Bearer <token>`, as the `ft_token` cookie the login form sets (HttpOnly, SameSite=Strict,
 * so other sites cannot make the browser use it), or as `?token=` (EventSource and <video> cannot send
 * headers; scripts may use it). Without api.token the page is open.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** Name of the cookie that carries the token after the login form. */
export const TOKEN_COOKIE = "ft_token";

const digest = (value: string) => createHash("sha256").update(value).digest();

/** The token the request carries, if any: header first, then cookie, then the query. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
  const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined) return cookie;
  return url.searchParams.get("token") ?? undefined;
}

/** One cookie's value from a Cookie header (URI-decoded); undefined when absent or malformed. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Checks tokens in constant time (hashes compared, so the length leaks nothing either). */
export class TokenCheck {
  readonly #expected: Buffer | undefined;

  /** `token`: api.token; undefined = no authentication. */
  constructor(token: string | undefined) {
    this.#expected = token ? digest(token) : undefined;
  }

  /** Whether a token is needed at all. */
  get required(): boolean {
    return this.#expected !== undefined;
  }

  /** Whether `given` is the token (always true when none is required). */
  accepts(given: string | undefined): boolean {
    if (!this.#expected) return true;
    if (given === undefined) return false;
    return timingSafeEqual(digest(given), this.#expected);
  }
}

/** Set-Cookie value that stores the token for the page (a session cookie; Secure behind HTTPS). */
export function tokenCookie(token: string, secure: boolean): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/** Set-Cookie value that removes the token cookie (log out). */
export function clearedTokenCookie(): string {
  return `${TOKEN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/** Whether the browser reached the page over HTTPS (directly or through a proxy that says so). */
export function isHttps(req: IncomingMessage): boolean {
  const forwarded = req.headers["x-forwarded-proto"];
  return (
    ("encrypted" in req.socket && Boolean(req.socket.encrypted)) ||
    (typeof forwarded === "string" && forwarded.split(",")[0]?.trim() === "https")
  );
}
