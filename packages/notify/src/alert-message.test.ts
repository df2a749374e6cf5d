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

  it("names an unknown visitor with its visits: first, third today, first today of several", () => {
    const visitor = (id: number, visits: number, visitsToday: number) =>
      buildAlertNotification(
        [alert({ identity: null, similarity: 0, visitor: { id, visits, visitsToday } })],
        templates,
      ).title;
    assert.equal(visitor(17, 3, 3), "FaceTracker: unknown visitor #17, third visit today on door");
    assert.equal(visitor(4, 1, 1), "FaceTracker: unknown visitor #4, first visit on door");
    assert.equal(
      visitor(4, 12, 1),
      "FaceTracker: unknown visitor #4, first visit today (12th in all) on door",
    );
    assert.equal(visitor(4, 23, 22), "FaceTracker: unknown visitor #4, 22nd visit today on door");
    // A known face is its name, whatever visitor it carries; a group counts visitors apart.
    assert.equal(
      buildAlertNotification([alert({ visitor: { id: 1, visits: 2, visitsToday: 2 } })], templates).title,
      "FaceTracker: alice on door",
    );
    const group = buildAlertNotification(
      [
        alert({
          identity: null,
          visitor: { id: 17, visits: 2, visitsToday: 2 },
          thumbnailJpeg: new Uint8Array([1]),
        }),
        alert({ id: "a2", trackId: 9, identity: null }),
      ],
      templates,
    );
    assert.match(group.body, /unknown visitor #17, second visit today, unknown/);
    assert.equal(group.attachments[0]?.name, "visitor17-door-track7.jpg");
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

  it("links: the alert's link as ${url} and the clip's as ${clip_url}; never a file:// link, but the clip's key", () => {
    const view = "https://faces.example.org/alerts/a1?exp=1&sig=ab";
    const direct = "https://faces.example.org/clips/door/7.mp4?exp=1&sig=cd";
    const linked = buildAlertNotification(
      [alert({ link: view, clipUrl: direct, clipKey: "door/7.mp4" })],
      templates,
    );
    assert.match(linked.body, /^- Clip: \[https:\/\/faces\.example\.org\/alerts\/a1\?exp=1&sig=ab\]\(/m);
    assert.doesNotMatch(linked.body, /open it on the FaceTracker page/);
    assert.deepEqual(
      [
        alertTemplateValues([alert({ link: view, clipUrl: direct })]).clip_url,
        alertTemplateValues([alert({ clipUrl: direct })]).url,
      ],
      [direct, direct],
      "${url} is the clip link when there is no alert link",
    );
    // A local clip without web.public_url: no link, its key and where to open it.
    const local = buildAlertNotification(
      [alert({ clipUrl: "file:///var/lib/facetracker/clips/door/7.mp4", clipKey: "door/7.mp4" })],
      templates,
    );
    assert.doesNotMatch(local.body, /file:/);
    assert.match(local.body, /^- Clip: door\/7\.mp4 \(open it on the FaceTracker page\)$/m);
    const group = buildAlertNotification(
      [
        alert({ clipKey: "door/7.mp4" }),
        alert({ id: "a2", trackId: 8, link: "file:///x", clipKey: "door/8.mp4" }),
      ],
      templates,
    );
    assert.doesNotMatch(group.body, /file:/);
    assert.match(group.body, /^- Clip: door\/7\.mp4 \(open it on the FaceTracker page\)$/m);
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
