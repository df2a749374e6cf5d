import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { loginRoutes } from "./login-page.ts";
import { TokenCheck } from "./web-auth.ts";

const TOKEN = "login-page-token";

describe("login form cookie with web.public_url", () => {
  let server: Server;
  let base: string;

  before(async () => {
    const routes = loginRoutes(new TokenCheck(TOKEN), { publicUrl: "https://faces.example.org/" });
    server = createServer((req, res) => {
      void routes.handle(req, res, new URL(req.url ?? "/", "http://page")).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it("is Secure when the page's public URL is https, even if the proxy in front says nothing", async () => {
    const response = await fetch(`${base}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${TOKEN}`,
      redirect: "manual",
    });
    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get("set-cookie"),
      `ft_token=${TOKEN}; Path=/; HttpOnly; SameSite=Strict; Secure`,
    );
  });
});
