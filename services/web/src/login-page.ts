/**
 * The login form of the page (api.token): GET /login shows it (or goes to the page when no token is
 * needed, or the browser has it already), POST /login checks the token and stores it in the HttpOnly
 * cookie, and a request without the token gets the form (page) or a JSON 401 (API). The stylesheet is
 * open to everyone, for the form.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, readFormBody, sendBytes, sendJson } from "./http-helpers.ts";
import { PAGE_HEADERS, staticFile } from "./static-files.ts";
import { isHttps, requestToken, type TokenCheck, tokenCookie } from "./web-auth.ts";

/** Sends the login form with `status`, with a message (e.g. after a wrong token). */
export async function sendLogin(res: ServerResponse, status: number, message?: string): Promise<void> {
  const file = await staticFile("login.html");
  let html = file ? Buffer.from(file.body).toString("utf8") : "<p>log in at /login</p>";
  if (message) {
    html = html.replace("<!-- login-message -->", `<p class="form-error" role="alert">${message}</p>`);
  }
  for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

export function loginRoutes(auth: TokenCheck): {
  /** Handles the requests open to everyone; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** Answers a request without the token. */
  refuse(res: ServerResponse, url: URL): Promise<void>;
} {
  return {
    async handle(req, res, url) {
      if (url.pathname === "/login" && req.method === "POST") {
        const given = (await readFormBody(req)).get("token") ?? "";
        if (auth.required && !auth.accepts(given)) {
          await sendLogin(res, 401, "Wrong token: try again.");
          return true;
        }
        res.writeHead(303, {
          location: "/",
          ...(auth.required ? { "set-cookie": tokenCookie(given, isHttps(req)) } : {}),
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
    async refuse(res, url) {
      if (url.pathname.startsWith("/api/")) {
        sendJson(res, 401, { error: "missing or wrong token: log in again (api.token)" });
        return;
      }
      await sendLogin(res, 401);
    },
  };
}
