import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { busOptionsFrom, DEFAULT_NATS_URL } from "./bus-options.ts";

describe("busOptionsFrom", () => {
  it("takes nats.url first, then NATS_URL, then the default", () => {
    assert.deepEqual(busOptionsFrom(parseConfig({}), "x", {}).servers, [DEFAULT_NATS_URL]);
    assert.deepEqual(busOptionsFrom(parseConfig({}), "x", { NATS_URL: "nats://a:1, nats://b:2" }).servers, [
      "nats://a:1",
      "nats://b:2",
    ]);
    assert.deepEqual(
      busOptionsFrom(parseConfig({ nats: { url: "nats://c:3" } }), "x", { NATS_URL: "nats://a:1" }).servers,
      ["nats://c:3"],
    );
  });

  it("passes credentials and TLS files through", () => {
    const o = busOptionsFrom(
      parseConfig({
        nats: {
          user: "u",
          pass: "p",
          token: "t",
          tls: { ca_file: "/ca.pem", cert_file: "/c.pem", key_file: "/k.pem" },
        },
      }),
      "svc",
      {},
    );
    assert.equal(o.name, "svc");
    assert.equal(o.user, "u");
    assert.equal(o.pass, "p");
    assert.equal(o.token, "t");
    assert.deepEqual(o.tls, { caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" });
  });
});
