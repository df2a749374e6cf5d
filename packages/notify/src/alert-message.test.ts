// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${name}` in plain strings is the template syntax
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Alert,
  alertTemplateValues,
  buildAlertNotification,
  compileAlertTemplates,
} from "./alert-message.ts";

const t0 = Date.UTC(2026, 0, 31, 12, 0, 5);
const alert = (over: Partial<Alert> = {}): Alert => ({
  id: "a1",
  camera: "door",
  trackId: 7,
  identity: "alice",
  similarity: 0.912,
  timeMs: t0,
  ...over,
});

describe("buildAlertNotification", () => {
  const templates = compileAlertTemplates();

  it("renders the default single-alert title and markdown body, with the clip link", () => {
    const n = buildAlertNotification(
      [alert({ clipUrl: "http://clips/door/7.mp4", thumbnailJpeg: new Uint8Array([1, 2]) })],
      templates,
    );
    assert.equal(n.title, "FaceTracker: alice on door");
    assert.equal(n.format, "markdown");
    assert.equal(
      n.body,
      [
        "**alice** seen on **door**",
        "",
        "- Time: 2026-01-31 12:00:05 UTC",
        "- Similarity: 0.91",
        "- Track: 7",
        "- Clip: [http://clips/door/7.mp4](http://clips/door/7.mp4)",
      ].join("\n"),
    );
    assert.deepEqual(n.attachments, [
      { name: "alice-door-track7.jpg", data: new Uint8Array([1, 2]), mimeType: "image/jpeg" },
    ]);
  });

  it("leaves the clip line out when there is no clip, and calls a null identity unknown", () => {
    const n = buildAlertNotification([alert({ identity: null })], templates);
    assert.equal(n.title, "FaceTracker: unknown on door");
    assert.ok(!n.body.includes("Clip"));
    assert.deepEqual(n.attachments, []);
  });

  it("says which identity an unknown face came closest to (a line left out for a known face)", () => {
    const closest = { name: "obama", similarity: 0.281 };
    const unknown = buildAlertNotification([alert({ identity: null, similarity: 0, closest })], templates);
    assert.match(unknown.body, /^- Closest: obama 0\.28$/m);
    assert.equal(unknown.title, "FaceTracker: unknown on door");
    const known = buildAlertNotification([alert({ closest })], templates);
    assert.ok(!known.body.includes("Closest"), known.body);
    const group = buildAlertNotification(
      [alert({ identity: null, closest }), alert({ id: "a2", trackId: 9, identity: null })],
      templates,
    );
    assert.match(group.body, /^- Closest: obama 0\.28 \(track 7\)$/m);
    const custom = compileAlertTemplates({ titleTemplate: "${identity} (closest: ${closest})" });
    assert.equal(
      buildAlertNotification([alert({ identity: null, closest })], custom).title,
      "unknown (closest: obama 0.28)",
    );
  });

  it("a group names the count and the identities and caps the attachments", () => {
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alert({
        id: `a${i}`,
        trackId: i,
        identity: i % 3 === 0 ? null : i % 3 === 1 ? "alice" : "bob",
        similarity: 0.5 + i / 100,
        timeMs: t0 + i * 100,
        thumbnailJpeg: new Uint8Array([i]),
      }),
    );
    const n = buildAlertNotification(alerts, templates, { maxAttachments: 10 });
    assert.equal(n.title, "FaceTracker: 12 faces on door");
    assert.match(n.body, /^\*\*12 faces\*\* seen on \*\*door\*\*: unknown \(4\), alice \(4\), bob \(4\)$/m);
    assert.match(n.body, /Best similarity: 0\.61/);
    assert.match(n.body, /Time: 2026-01-31 12:00:05 UTC/);
    assert.match(n.body, /Tracks: 0, 1, 2, 3/);
    assert.equal(n.attachments.length, 10);
  });

  it("alertTemplateValues of a group takes the first clip URL", () => {
    const values = alertTemplateValues([alert(), alert({ id: "a2", trackId: 8, clipUrl: "http://c/8" })]);
    assert.equal(values.url, "http://c/8");
    assert.equal(values.count, "2");
    assert.equal(values.identities, "alice (2)");
  });

  it("custom templates are used, and a bad one fails naming it", () => {
    const custom = compileAlertTemplates({ titleTemplate: "[${camera}] ${identity} ${similarity}" });
    assert.equal(buildAlertNotification([alert()], custom).title, "[door] alice 0.91");
    assert.throws(
      () => compileAlertTemplates({ groupBodyTemplate: "${faces}" }),
      /groupBodyTemplate: unknown placeholder \$\{faces\}/,
    );
  });
});
