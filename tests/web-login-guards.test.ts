/**
 * The web page's guards with api.token set (issue 13): wrong tokens are limited per client address (5 a
 * minute on the login form, 30 a minute in other requests, then 429 with Retry-After, even for the right
 * token, while other addresses go on), the session
 * cookie is HttpOnly and SameSite=Strict (and Secure over https), and state-changing requests from another
 * site are refused (403) by Sec-Fetch-Site or Origin. Real nats-server, api and web services in this
 * process; requests from distinct loopback addresses (127.0.0.2, 127.0.0.3, …) as distinct clients.
 */

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { startApiService } from "@facetracker/service-api";
import { freeLocalPort } from "@facetracker/service-host";
import { startWebService } from "@facetracker/service-web";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

const TOKEN = "web-guards-token";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe("web page guards: login rate limit, session cookie, same-origin changes", () => {
  let dir: string;
  let nats: NatsTestServer;
  let pipeline: RunningPipeline;
  let port: number;

  /** One request from `from` (a loopback address) to the page. */
  const send = (
    from: string,
    method: string,
    pathname: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, localAddress: from, path: pathname, method, headers },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const login = (from: string, token: string, headers: Record<string, string> = {}) =>
    send(from, "POST", "/login", { ...form, ...headers }, `token=${encodeURIComponent(token)}`);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-web-guards-"));
    nats = await startNatsServer();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      api: { port: await freeLocalPort(), http_port: 0, token: TOKEN },
    });
    pipeline = await startPipeline(nats.url, config, [
      ["api", startApiService],
      ["web", startWebService],
    ]);
    const web = pipeline.services.get("web") as unknown as { httpPort: number | undefined };
    assert.ok(web.httpPort, "the web service serves the page");
    port = web.httpPort;
  });

  after(async () => {
    await pipeline?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("sets the token cookie HttpOnly and SameSite=Strict, and Secure when the page is reached over https", async () => {
    const plain = await login("127.0.0.3", TOKEN);
    assert.equal(plain.status, 303);
    const cookie = String(plain.headers["set-cookie"]);
    assert.match(cookie, /^ft_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const https = await login("127.0.0.3", TOKEN, { "x-forwarded-proto": "https" });
    assert.match(String(https.headers["set-cookie"]), /; HttpOnly; SameSite=Strict; Secure$/);
  });

  it("refuses an address after 5 wrong tokens (429, Retry-After), even with the right one; others go on", async () => {
    for (let i = 1; i <= 5; i++) {
      assert.equal((await login("127.0.0.2", `wrong-token-${i}`)).status, 401, `wrong token ${i}`);
    }
    const refused = await login("127.0.0.2", "wrong-token-6");
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers["retry-after"]);
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After ${retryAfter}`,
    );
    assert.match(refused.body, /Too many wrong tokens from this address: try again in \d+ s\./);
    assert.equal((await login("127.0.0.2", TOKEN)).status, 429, "the right token waits too");
    // Another address is not affected.
    assert.equal((await login("127.0.0.4", TOKEN)).status, 303);
    assert.equal(
      (await send("127.0.0.4", "GET", "/api/gallery", { authorization: `Bearer ${TOKEN}` })).status,
      200,
    );
  });

  it("limits wrong bearer tokens on the API too (30 a minute); a visit without a token is not a guess", async () => {
    for (let i = 0; i < 40; i++) assert.equal((await send("127.0.0.5", "GET", "/api/gallery")).status, 401);
    for (let i = 1; i <= 30; i++) {
      const r = await send("127.0.0.5", "GET", "/api/gallery", { authorization: `Bearer wrong-${i}-token` });
      assert.equal(r.status, 401);
    }
    const r = await send("127.0.0.5", "GET", "/api/gallery", { authorization: "Bearer wrong-31-token" });
    assert.equal(r.status, 429);
    assert.ok(r.headers["retry-after"]);
    assert.match(JSON.parse(r.body).error, /^Too many wrong tokens from this address/);
  });

  it("refuses state-changing requests from another site (403) and lets the page's own through", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const own = `http://127.0.0.1:${port}`;
    const evil = await send("127.0.0.6", "DELETE", "/api/gallery/nobody", {
      ...auth,
      origin: "http://evil.example",
    });
    assert.equal(evil.status, 403);
    assert.match(
      JSON.parse(evil.body).error,
      /^cross-site request refused: DELETE from origin http:\/\/evil\.example/,
    );
    const fetched = await send("127.0.0.6", "POST", "/api/enroll", {
      ...auth,
      "content-type": "application/json",
      "sec-fetch-site": "cross-site",
    });
    assert.equal(fetched.status, 403);
    // Login CSRF: a form on another site posting its own token.
    assert.equal((await login("127.0.0.6", TOKEN, { origin: "http://evil.example" })).status, 403);
    assert.equal(
      (await send("127.0.0.6", "POST", "/logout", { ...auth, "sec-fetch-site": "same-site" })).status,
      403,
    );
    // The page's own requests (and tools without Origin) pass the check.
    const same = await send("127.0.0.6", "DELETE", "/api/gallery/nobody", { ...auth, origin: own });
    assert.notEqual(same.status, 403, same.body);
    assert.equal(
      (await send("127.0.0.6", "POST", "/logout", { ...auth, "sec-fetch-site": "same-origin" })).status,
      303,
    );
    assert.equal((await send("127.0.0.6", "POST", "/logout", auth)).status, 303);
    // Reads are not state-changing: a cross-site GET is answered (the token decides).
    assert.equal(
      (await send("127.0.0.6", "GET", "/api/gallery", { ...auth, "sec-fetch-site": "cross-site" })).status,
      200,
    );
  });

  it("a web service whose port is taken says it is not ready (and why, in its log) instead of ready", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      api: { port: await freeLocalPort(), http_port: taken, token: TOKEN },
    });
    const second = await startPipeline(nats.url, config, [["web", startWebService]]);
    try {
      assert.deepEqual(second.services.get("web")?.readiness(), { page: false });
      assert.ok(
        second.logs.some((l) => /web page not served: cannot listen on api.http_port/.test(l)),
        second.logs.join("\n"),
      );
    } finally {
      await second.stop();
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
