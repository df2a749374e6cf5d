/**
 * The login form of the page (api.token): GET /login shows it (or goes to the page when no token is
 * needed, or the browser has it already), POST /login checks the token and stores it in the HttpOnly,
 * SameSite=Strict cookie (Secure over https or with an https web.public_url), and a request without the
 * token gets the form (page) or a JSON 401 (API). Wrong tokens are counted per client address
 * (login-rate-limit.ts): 5 a minute on the form, 30 a minute in requests (header, cookie, ?token=: a
 * page left open with an old cookie fails a few times before it shows the form); beyond that the
 * address gets 429 with Retry-After, on that way in, even with the right token. The stylesheet is open
 * to everyone, for the form.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, readFormBody, sendBytes, sendJson } from "./http-helpers.ts";
import { LoginRateLimit } from "./login-rate-limit.ts";
import { PAGE_HEADERS, staticFile } from "./static-files.ts";
import { isHttps, requestToken, type TokenCheck, tokenCookie } from "./web-auth.ts";

/** Sends the login form with `status`, with a message (e.g. after a wrong token) and more headers. */
export async function sendLogin(
  res: ServerResponse,
  status: number,
  message?: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const file = await staticFile("login.html");
  let html = file ? Buffer.from(file.body).toString("utf8") : "<p>log in at /login</p>";
  if (message) {
    html = html.replace("<!-- login-message -->", `<p class="form-error" role="alert">${message}</p>`);
  }
  for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(html);
}

/** Options of loginRoutes besides the token check. */
export interface LoginOptions {
  /** web.public_url: an https one makes the cookie Secure even when a proxy in front says nothing. */
  publicUrl?: string;
  /** Wrong tokens on the login form per client address (default: 5 a minute). */
  formLimit?: LoginRateLimit;
  /** Wrong tokens in other requests per client address (default: 30 a minute). */
  requestLimit?: LoginRateLimit;
}

/** Wrong tokens a minute in requests other than the login form (header, cookie, ?token=). */
export const REQUEST_MAX_FAILURES = 30;

/** The client address a request comes from (the socket's: a proxy in front is one address for all). */
const clientAddress = (req: IncomingMessage): string => req.socket.remoteAddress ?? "unknown";

export function loginRoutes(
  auth: TokenCheck,
  options: LoginOptions = {},
): {
  /** Handles the requests open to everyone; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /**
   * Whether the request carries the token; when not, it has been answered (the form or 401, or 429 for
   * an address over the limit of wrong tokens).
   */
  authorize(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** Answers a request without the token. */
  refuse(res: ServerResponse, url: URL): Promise<void>;
} {
  const formLimit = options.formLimit ?? new LoginRateLimit();
  const requestLimit = options.requestLimit ?? new LoginRateLimit({ maxFailures: REQUEST_MAX_FAILURES });
  const secureCookie = (req: IncomingMessage) =>
    isHttps(req) || options.publicUrl?.startsWith("https:") === true;
  /** Answers 429 when the client's address is over the limit; true when it did. */
  const tooMany = async (
    limit: LoginRateLimit,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<boolean> => {
    const retryAfter = limit.retryAfterS(clientAddress(req));
    if (retryAfter === undefined) return false;
    const message = `Too many wrong tokens from this address: try again in ${retryAfter} s.`;
    if (url.pathname.startsWith("/api/")) {
      res.setHeader("retry-after", String(retryAfter));
      sendJson(res, 429, { error: message });
    } else await sendLogin(res, 429, message, { "retry-after": String(retryAfter) });
    return true;
  };
  const routes = {
    async handle(req: IncomingMessage, res: ServerResponse, url: URL) {
      if (url.pathname === "/login" && req.method === "POST") {
        if (auth.required && (await tooMany(formLimit, req, res, url))) return true;
        const given = (await readFormBody(req)).get("token") ?? "";
        if (auth.required && !auth.accepts(given)) {
          formLimit.recordFailure(clientAddress(req));
          await sendLogin(res, 401, "Wrong token: try again.");
          return true;
        }
        res.writeHead(303, {
          location: "/",
          ...(auth.required ? { "set-cookie": tokenCookie(given, secureCookie(req)) } : {}),
        });
        res.end();
        return true;
      }
      if (url.pathname === "/login" && req.method === "GET") {
        if (!auth.required || auth.accepts(requestToken(req, url))) {
          res.writeHead(303, { location: "/" });
          res.end();
        } else await sendLogin(res, 200);
        return true;
      }
      if (url.pathname === "/style.css" && req.method === "GET") {
        const file = await staticFile("style.css");
        if (!file) throw new HttpError(404, "no page file style.css");
        sendBytes(res, file.type, file.body);
        return true;
      }
      return false;
    },
    async authorize(req: IncomingMessage, res: ServerResponse, url: URL) {
      if (!auth.required) return true;
      const given = requestToken(req, url);
      // A request without a token is a first visit, not a guess; one with a token counts.
      if (given !== undefined && (await tooMany(requestLimit, req, res, url))) return false;
      if (auth.accepts(given)) return true;
      if (given !== undefined) requestLimit.recordFailure(clientAddress(req));
      await routes.refuse(res, url);
      return false;
    },
    async refuse(res: ServerResponse, url: URL) {
      if (url.pathname.startsWith("/api/")) {
        sendJson(res, 401, { error: "missing or wrong token: log in again (api.token)" });
        return;
      }
      await sendLogin(res, 401);
    },
  };
  return routes;
}
