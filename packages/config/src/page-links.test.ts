import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { type ConfigError, parseConfig } from "./load-config.ts";
import { LINK_SIGNING_LABEL, LinkSigner, PageLinks, pageLinks } from "./page-links.ts";

const SECRET = "0123456789abcdef0123456789abcdef-link";
const now = Date.UTC(2026, 11, 7, 10, 0, 0);
const alert = { kind: "alert", id: "door-7-120" } as const;
const clip = { kind: "clip", key: "door/2026-12-07/100000-door-7-120.mp4" } as const;

describe("LinkSigner", () => {
  const signer = new LinkSigner(SECRET, 3600);

  it("signs with HMAC-SHA256 keyed by HMAC(secret, label), and accepts its own link until it expires", () => {
    const { exp, sig } = signer.query(alert, now);
    assert.equal(exp, String(now / 1000 + 3600));
    const key = createHmac("sha256", SECRET).update(LINK_SIGNING_LABEL).digest();
    assert.equal(sig, createHmac("sha256", key).update(`alert:door-7-120\n${exp}`).digest("hex"));
    assert.equal(signer.check(alert, exp, sig, now), "valid");
    assert.equal(signer.check(alert, exp, sig, now + 3599_000), "valid");
    assert.equal(signer.check(alert, exp, sig, now + 3600_000), "expired");
  });

  it("refuses a tampered signature or expiry, another alert or clip, another secret, malformed values", () => {
    const { exp, sig } = signer.query(alert, now);
    const flipped = `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`;
    assert.equal(signer.check(alert, exp, flipped, now), "invalid");
    assert.equal(signer.check(alert, String(Number(exp) + 86_400), sig, now), "invalid", "a longer life");
    assert.equal(signer.check({ kind: "alert", id: "door-8-120" }, exp, sig, now), "invalid");
    assert.equal(signer.check({ kind: "clip", key: "door-7-120" }, exp, sig, now), "invalid");
    const clipQuery = signer.query(clip, now);
    assert.equal(signer.check(clip, clipQuery.exp, clipQuery.sig, now), "valid");
    assert.equal(
      signer.check({ kind: "clip", key: "door/2026-12-07/other.mp4" }, clipQuery.exp, clipQuery.sig, now),
      "invalid",
    );
    const other = new LinkSigner(`${SECRET}-rotated`, 3600);
    assert.equal(other.check(alert, exp, sig, now), "invalid", "a rotated secret revokes the links");
    // An expired link of another secret is invalid, not "expired": only genuine links are said to expire.
    assert.equal(other.check(alert, exp, sig, now + 7200_000), "invalid");
    for (const [e, s] of [
      [null, sig],
      [exp, null],
      [exp, sig.toUpperCase()],
      [exp, sig.slice(2)],
      [`${exp}.5`, sig],
      ["-1", sig],
      ["", ""],
    ] as const) {
      assert.equal(signer.check(alert, e, s, now), "invalid", `${e} ${s}`);
    }
  });

  it("needs a secret of 32 characters and a positive lifetime", () => {
    assert.throws(() => new LinkSigner("short", 60), /at least 32 characters/);
    assert.throws(() => new LinkSigner(SECRET, 0), /ttlS must be a positive/);
  });
});

describe("PageLinks", () => {
  it("makes signed alert and clip links under web.public_url (its path kept, segments escaped)", () => {
    const links = new PageLinks("https://faces.example.org/ft?x=1", new LinkSigner(SECRET, 60));
    const alertUrl = new URL(links.alertUrl("door-7-120", now));
    assert.equal(alertUrl.origin + alertUrl.pathname, "https://faces.example.org/ft/alerts/door-7-120");
    assert.equal(alertUrl.searchParams.get("exp"), String(now / 1000 + 60));
    assert.match(alertUrl.searchParams.get("sig") ?? "", /^[0-9a-f]{64}$/);
    const clipUrl = new URL(links.clipUrl(clip.key, now));
    assert.equal(clipUrl.pathname, `/ft/clips/${clip.key}`);
    const signer = links.signer as LinkSigner;
    assert.equal(
      signer.check(clip, clipUrl.searchParams.get("exp"), clipUrl.searchParams.get("sig"), now),
      "valid",
    );
    assert.equal(links.signed, true);
  });

  it("without web.link_secret: plain links (the page asks for a login); without public_url: none", () => {
    const unsigned = pageLinks(parseConfig({ web: { public_url: "http://faces.local:8080/" } }));
    assert.equal(unsigned?.signed, false);
    assert.equal(unsigned?.alertUrl("a b"), "http://faces.local:8080/alerts/a%20b");
    assert.equal(pageLinks(parseConfig({})), undefined);
    const signed = pageLinks(
      parseConfig({
        web: { public_url: "https://faces.example.org/", link_secret: SECRET, link_ttl_s: 120 },
      }),
    );
    assert.equal(signed?.signer?.ttlS, 120);
  });
});

describe("configuration of links", () => {
  const problems = (input: unknown): string[] => {
    try {
      parseConfig(input);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it("web.link_secret: 32 characters at least, never repeated in an error; empty = unset", () => {
    const [problem] = problems({ web: { link_secret: "too-short-secret" } });
    assert.match(problem ?? "", /web\.link_secret.*at least 32 characters/);
    assert.doesNotMatch(problem ?? "", /too-short-secret/);
    assert.doesNotMatch(problems({ web: { link_secret: 12345678 } }).join(), /12345678/);
    assert.equal(parseConfig({ web: { link_secret: "" } }).web.link_secret, undefined);
    assert.equal(parseConfig({}).web.link_ttl_s, 604_800);
    assert.match(problems({ web: { link_ttl_s: 10 } }).join(), /web\.link_ttl_s must be at least 60/);
  });

  it("storage.public_endpoint: an http(s) URL, for S3 storage only", () => {
    const s3 = { endpoint: "http://minio:9000", bucket: "clips", access_key: "k", secret_key: "s" };
    assert.equal(
      parseConfig({ storage: { ...s3, public_endpoint: "https://files.example.org" } }).storage
        .public_endpoint,
      "https://files.example.org",
    );
    assert.match(
      problems({ storage: { ...s3, public_endpoint: "files.example.org" } }).join(),
      /storage\.public_endpoint must be an http:\/\/ or https:\/\/ URL/,
    );
    assert.match(
      problems({ storage: { public_endpoint: "https://files.example.org" } }).join(),
      /storage\.public_endpoint: public_endpoint is for S3 storage/,
    );
  });

  it("notification templates may use the link placeholders clip_url and clip_key, and closest", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the template syntax
    const message = "${url} ${clip_url} ${clip_key} ${closest}";
    assert.equal(
      parseConfig({ alerts: { notification_message: message } }).alerts.notification_message,
      message,
    );
  });
});
