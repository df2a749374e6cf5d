import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeUrls, redactSecrets, redactUrl } from "./url-redaction.ts";

describe("redactUrl", () => {
  it("masks the password of user:password@host", () => {
    assert.equal(
      redactUrl("mailto://user:S3cret!@smtp.example.com:587?to=a@example.com"),
      "mailto://user:***@smtp.example.com:587?to=a@example.com",
    );
    assert.equal(redactUrl("json://bob:pw@127.0.0.1:8080/hook"), "json://bob:***@127.0.0.1:8080/hook");
  });

  it("masks token-like host and path segments of token-addressed services", () => {
    assert.equal(
      redactUrl("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234"),
      "tgram://12***/-1001234",
    );
    assert.equal(
      redactUrl("discord://1181817373846102046/Zp0wRkqP3bbn7Jnf8w2hxnR7nKfS"),
      "discord://1181817373846102046/Zp***", // the numeric webhook id is not a secret
    );
    assert.equal(redactUrl("gotify://gotify.example.com/AbCdEf123456"), "gotify://gotify.example.com/Ab***");
  });

  it("keeps host names of host-addressed schemes and short plain words", () => {
    assert.equal(redactUrl("ntfy://ntfy.sh/frontdoor"), "ntfy://ntfy.sh/frontdoor");
    assert.equal(redactUrl("jsons://hooks.example.com/alerts"), "jsons://hooks.example.com/alerts");
  });

  it("masks secret query values and header overrides", () => {
    assert.equal(
      redactUrl("json://h/x?token=abc&+Authorization=Bearer%20xyz&method=POST"),
      "json://h/x?token=***&+Authorization=***&method=POST",
    );
    assert.equal(
      redactUrl("pushover://u@t?apikey=k1&priority=high"),
      "pushover://u@t?apikey=***&priority=high",
    );
  });

  it("does not echo something that is not a URL", () => {
    assert.equal(redactUrl("user:password without scheme"), "<unparseable URL>");
  });

  it("describeUrls joins the redacted URLs", () => {
    assert.equal(describeUrls(["json://a:b1@h/x", "ntfy://ntfy.sh/t"]), "json://a:***@h/x, ntfy://ntfy.sh/t");
  });
});

describe("redactSecrets", () => {
  it("masks full URLs and their secrets wherever they appear in a text", () => {
    const url = "mailto://alerts:Pa%24%24word9@smtp.example.com?to=ops@example.com";
    const text = `failed for ${url}; login alerts / Pa$$word9 rejected; raw Pa%24%24word9`;
    const out = redactSecrets(text, [url]);
    assert.equal(
      out,
      "failed for mailto://alerts:***@smtp.example.com?to=ops@example.com; login alerts / *** rejected; raw ***",
    );
  });

  it("masks a token appearing alone", () => {
    const url = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/42";
    assert.equal(
      redactSecrets("bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw unauthorized", [url]),
      "bot *** unauthorized",
    );
  });
});
