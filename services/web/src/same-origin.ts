/**
 * Cross-site request refusal for the page's state-changing routes (POST, PUT, PATCH, DELETE): a browser
 * says where a request comes from (Sec-Fetch-Site, else Origin), and only the page itself may change
 * anything. Requests without either header (curl, scripts with the bearer token) are not from a browser
 * page and pass.
 */

import type { IncomingMessage } from "node:http";
import { isHttps } from "./web-auth.ts";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Why a state-changing request is refused as cross-site (for a 403), or undefined when it may go on.
 * `publicUrl` (web.public_url) is the page's address as operators open it, accepted besides the Host the
 * request names (a proxy in front may rewrite Host).
 */
export function crossSiteRefusal(req: IncomingMessage, publicUrl?: string): string | undefined {
  if (!STATE_CHANGING.has(req.method ?? "GET")) return undefined;
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string") {
    if (site === "same-origin" || site === "none") return undefined;
    return `cross-site request refused: ${req.method} from another site (Sec-Fetch-Site: ${site}); only the page itself may change anything`;
  }
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const own = new Set<string>();
  if (req.headers.host) own.add(`${isHttps(req) ? "https" : "http"}://${req.headers.host}`.toLowerCase());
  if (publicUrl) own.add(new URL(publicUrl).origin.toLowerCase());
  if (own.has(origin.toLowerCase())) return undefined;
  return `cross-site request refused: ${req.method} from origin ${origin}, not this page's (${[...own].join(" or ") || "unknown"}; set web.public_url when a proxy in front changes the address)`;
}
