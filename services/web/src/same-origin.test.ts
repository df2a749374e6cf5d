import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { crossSiteRefusal } from "./same-origin.ts";

/** The parts of a request crossSiteRefusal reads (method, headers, the socket's TLS flag). */
const request = (method: string, headers: Record<string, string>, encrypted = false) =>
  ({ method, headers, socket: encrypted ? { encrypted: true } : {} }) as unknown as IncomingMessage;

describe("crossSiteRefusal", () => {
  it("lets reads through whatever their origin", () => {
    assert.equal(crossSiteRefusal(request("GET", { "sec-fetch-site": "cross-site" })), undefined);
    assert.equal(crossSiteRefusal(request("HEAD", { origin: "https://evil.example" })), undefined);
  });

  it("refuses POST, PUT, PATCH and DELETE from another site by Sec-Fetch-Site", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      for (const site of ["cross-site", "same-site"]) {
        assert.equal(
          crossSiteRefusal(request(method, { host: "127.0.0.1:8080", "sec-fetch-site": site })),
          `cross-site request refused: ${method} from another site (Sec-Fetch-Site: ${site}); only the page itself may change anything`,
        );
      }
      assert.equal(crossSiteRefusal(request(method, { "sec-fetch-site": "same-origin" })), undefined);
      assert.equal(crossSiteRefusal(request(method, { "sec-fetch-site": "none" })), undefined);
    }
  });

  it("without Sec-Fetch-Site, compares Origin with the Host (and web.public_url)", () => {
    const host = { host: "127.0.0.1:8080" };
    assert.equal(crossSiteRefusal(request("POST", { ...host, origin: "http://127.0.0.1:8080" })), undefined);
    assert.equal(
      crossSiteRefusal(request("DELETE", { ...host, origin: "http://127.0.0.1:3000" })),
      "cross-site request refused: DELETE from origin http://127.0.0.1:3000, not this page's (http://127.0.0.1:8080; set web.public_url when a proxy in front changes the address)",
    );
    assert.match(crossSiteRefusal(request("POST", { ...host, origin: "null" })) ?? "", /from origin null/);
    // Same host over https: the scheme is part of the origin.
    assert.ok(crossSiteRefusal(request("POST", { ...host, origin: "http://127.0.0.1:8080" }, true)));
    assert.equal(
      crossSiteRefusal(request("POST", { ...host, origin: "https://127.0.0.1:8080" }, true)),
      undefined,
    );
    // Behind a proxy that rewrites Host: the public URL's origin.
    const proxied = request("POST", { host: "web:8080", origin: "https://faces.example.org" });
    assert.ok(crossSiteRefusal(proxied));
    assert.equal(crossSiteRefusal(proxied, "https://faces.example.org/page"), undefined);
  });

  it("lets a request without Origin or Sec-Fetch-Site through (not from a browser page: curl, scripts)", () => {
    assert.equal(crossSiteRefusal(request("POST", { host: "127.0.0.1:8080" })), undefined);
  });
});
