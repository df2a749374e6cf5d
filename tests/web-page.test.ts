/**
 * The operators' web page in headless Chromium, against the real pipeline: a nats-server, the services in
 * this process (api, web with its page, embed, alert, clip-recorder, track, detect, ingest) and a generated
 * camera video of one face, looped like a live camera (the face walks in, across, and out: each loop is
 * a new track). A screenshot is kept in test-artifacts/web-page/.
 */

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { connectBus, typedBus } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { maskCredentials } from "@facetracker/media";
import { Alert, AlertDelivery, Frame, TrackSnapshot } from "@facetracker/proto";
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import { startAlertService } from "@facetracker/service-alert";
import { startApiService } from "@facetracker/service-api";
import { startClipRecorderService } from "@facetracker/service-clip-recorder";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { freeLocalPort } from "@facetracker/service-host";
import { startIngestService } from "@facetracker/service-ingest";
import { startTrackService } from "@facetracker/service-track";
import { startWebService } from "@facetracker/service-web";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { FACE_COLORS, FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { type Browser, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { mediamtxPlayer } from "../services/web/src/camera-list.ts";
import { parseRange } from "../services/web/src/clip-files.ts";
import { FramePairer } from "../services/web/src/frame-pairing.ts";
import { livePayload } from "../services/web/src/live-feed.ts";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

const TOKEN = "web-page-token-5678";
const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/web-page/", import.meta.url));
/** Frames of one loop of the camera video (25 fps): the face is in view for the first IN_VIEW. */
const FRAMES = 140;
const IN_VIEW = 110;
/** The box colours of the page (live-view.js, from the face-labels table): known and unknown faces. */
const BOX_COLORS: [number, number, number][] = [FACE_COLORS.known, FACE_COLORS.unknown].map(
  (hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [number, number, number],
);

/** Pixels that differ between two PNG screenshots of the same size. */
async function changedPixels(a: Buffer, b: Buffer): Promise<number> {
  const [pa, pb] = await Promise.all([a, b].map((png) => sharp(png).removeAlpha().raw().toBuffer()));
  assert.ok(pa && pb && pa.length === pb.length, "two screenshots of the same size");
  let changed = 0;
  for (let i = 0; i < pa.length; i += 3) {
    if (pa[i] !== pb[i] || pa[i + 1] !== pb[i + 1] || pa[i + 2] !== pb[i + 2]) changed++;
  }
  return changed;
}

/** The parts of the page's elements the checks read (the test code is type-checked without the DOM lib). */
interface CanvasElement {
  width: number;
  height: number;
  dataset: Record<string, string | undefined>;
  getContext(type: "2d"): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}

/**
 * Counts the canvas pixels of a box colour on the frame drawn now, with the number of tracks drawn on
 * that frame (read together, in the page: the next frame may come any time).
 */
function boxPixels(page: Page): Promise<{ tracks: number; pixels: number }> {
  return page.locator("#live-canvas").evaluate((canvas: CanvasElement, colors) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let pixels = 0;
    for (let i = 0; i < data.length; i += 4) {
      const hit = colors.some(
        ([r, g, b]) =>
          Math.abs((data[i] as number) - r) <= 6 &&
          Math.abs((data[i + 1] as number) - g) <= 6 &&
          Math.abs((data[i + 2] as number) - b) <= 6,
      );
      if (hit) pixels++;
    }
    return { tracks: Number(canvas.dataset.tracks ?? "0"), pixels };
  }, BOX_COLORS);
}

/** Waits until the first image matched by `selector` has loaded a picture `width` pixels wide. */
async function imageLoaded(page: Page, selector: string, width: number): Promise<void> {
  await waitFor(
    async () => {
      const image = page.locator(selector).first();
      if ((await image.count()) === 0) return false;
      return (await image.evaluate((img: { naturalWidth: number }) => img.naturalWidth)) === width;
    },
    `${selector} loaded (${width} px wide)`,
    10_000,
    50,
  );
}

describe("operators' web page (headless Chromium, real nats-server, pipeline in process)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let pipeline: RunningPipeline;
  let browser: Browser;
  let page: Page;
  let base: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-web-"));
    await mkdir(ARTIFACTS, { recursive: true });
    nats = await startNatsServer();
    const analyzer = await FaceAnalyzer.create();
    const [amy] = (await sampleFaces(analyzer, samplePhotos(), [[0, 0]], 80)) as [RgbImage];
    const actors: Actor[] = [
      {
        name: "amy",
        picture: amy,
        faceInPicture: await locateFace(analyzer, amy),
        position: (f) => (f < IN_VIEW ? [140 + f, 70] : null),
      },
    ];
    const video = path.join(dir, "door.mp4");
    await renderScene(video, { width: 640, height: 360, fps: 25, frames: FRAMES, actors });
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      alerts: { alert_mode: "ON_ALL", clip_duration: 30 },
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      cameras: [{ id: "door", url: video, loop: true, alert_mode: "ON_ALL" }],
      api: { port: await freeLocalPort(), http_port: 0, token: TOKEN },
      runtime: { detect_workers: 1 },
    });
    // No shared gallery: the api is the gallery's one writer; the web page (which sends its changes to the
    // api over gRPC) and the embed worker follow it, reloading on ft.gallery.changed, as separate processes do.
    pipeline = await startPipeline(nats.url, config, [
      ["api", startApiService],
      ["web", startWebService],
      ["embed", startEmbedService],
      ["alert", startAlertService],
      ["clip-recorder", startClipRecorderService],
      ["track", startTrackService],
      ["detect", startDetectService],
      ["ingest", startIngestService],
    ]);
    const port = (pipeline.services.get("web") as unknown as { httpPort: number | undefined }).httpPort;
    assert.ok(port, "the web service serves the page");
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await pipeline?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses the page and its endpoints without the token; the login form sets it", async () => {
    const refused = await fetch(`${base}/`);
    assert.equal(refused.status, 401);
    const html = await refused.text();
    assert.match(html, /name="token"/, "the login form instead of the page");
    assert.doesNotMatch(html, /live-canvas/);
    const endpoints: [string, string][] = [
      ["GET", "/app.js"],
      ["GET", "/api/cameras"],
      ["GET", "/api/live/door"],
      ["GET", "/api/events"],
      ["GET", "/api/alerts"],
      ["GET", "/api/gallery"],
      ["GET", "/api/clips/door/2024-01-01/000000-x.mp4"],
      ["POST", "/api/enroll"],
      ["DELETE", "/api/gallery/amy"],
    ];
    for (const [method, url] of endpoints) {
      for (const headers of [
        {},
        { authorization: "Bearer wrong-token" },
        { cookie: "ft_token=wrong-token" },
      ]) {
        const response = await fetch(`${base}${url}`, { method, headers });
        assert.equal(response.status, 401, `${method} ${url} with ${JSON.stringify(headers)}`);
        await response.body?.cancel();
      }
    }
    const withHeader = await fetch(`${base}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(withHeader.status, 200);
    const { cameras } = (await withHeader.json()) as { cameras: { id: string; live_mode: string }[] };
    assert.deepEqual(
      cameras.map((c) => c.id),
      ["door"],
    );
    const withQuery = await fetch(`${base}/api/session?token=${TOKEN}`);
    assert.equal(withQuery.status, 200);

    await page.goto(`${base}/`);
    await page.fill("#token", "not-the-token");
    await page.click("button[type=submit]");
    await page.waitForSelector("text=Wrong token");
    await page.fill("#token", TOKEN);
    await page.click("button[type=submit]");
    await page.waitForSelector("#live-canvas");
    await page.waitForSelector("#connection[data-state=live]");
  });

  it("shows the camera's live frames: the canvas changes", async () => {
    const canvas = page.locator("#live-canvas");
    const seqOf = async () => Number((await canvas.getAttribute("data-seq")) ?? "0");
    await waitFor(async () => (await seqOf()) > 0, "a first frame drawn", 30_000, 50);
    const first = await canvas.screenshot();
    const firstSeq = await seqOf();
    await waitFor(async () => (await seqOf()) >= firstSeq + 5, "five frames later", 15_000, 50);
    const second = await canvas.screenshot();
    assert.ok((await changedPixels(first, second)) > 0, "the pixels change from one frame to a later one");
  });

  it("draws a box for the face and lists its track", async () => {
    const item = page.locator("#track-list li[data-track-id][data-state=confirmed]").first();
    await item.waitFor({ timeout: 30_000 });
    assert.match((await item.locator(".track-name").textContent()) ?? "", /^#\d+ unknown$/);
    const drawn = await waitFor(
      async () => {
        const seen = await boxPixels(page);
        return seen.tracks > 0 ? seen : undefined;
      },
      "a frame with a track drawn",
      15_000,
      50,
    );
    // A box of a ~80 px face drawn 2 px wide, plus its label: a few hundred pixels of the box colour.
    assert.ok(drawn.pixels > 200, `box pixels on the canvas: ${drawn.pixels}`);
  });

  it("adds an alert to the timeline, with the face", async () => {
    const alert = page.locator("#alert-list li[data-alert-id]").first();
    await alert.waitFor({ timeout: 40_000 });
    // The face memory beside the gallery knows no one yet: a new visitor, its first visit.
    assert.match(
      (await alert.locator(".alert-name").textContent()) ?? "",
      /^unknown visitor #\d+, first visit$/,
    );
    await imageLoaded(page, "#alert-list li img.face", 112);
  });

  it("enrolls the person from the track: the next alert names them, and the gallery lists them", async () => {
    const track = page.locator("#track-list li[data-track-id][data-gone=false]:has(img.face)").first();
    await track.waitFor({ timeout: 30_000 });
    const enrolledAt = Date.now();
    await track.locator("details.enroll summary").click();
    await track.locator("input[name=name]").fill("Amy Pond");
    await track.locator("button[type=submit]").click();
    await track.locator(".form-ok").waitFor({ timeout: 15_000 });
    assert.equal(await track.locator(".form-ok").textContent(), "Enrolled as Amy Pond.");

    const listed = page.locator("#gallery-list li[data-identity-id]");
    await listed.first().waitFor({ timeout: 10_000 });
    assert.equal(await listed.locator(".identity-name").textContent(), "Amy Pond");
    await imageLoaded(page, "#gallery-list img.face", 112);

    const named = page.locator("#alert-list li[data-alert-id]", {
      has: page.locator(".alert-name", { hasText: "Amy Pond" }),
    });
    await named.first().waitFor({ timeout: 45_000 });
    assert.equal(
      await page.locator("#alert-list li[data-alert-id] .alert-name").first().textContent(),
      "Amy Pond",
      "the newest alert first",
    );
    const alerts = (await fetch(`${base}/api/alerts`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.json())) as { alerts: { name: string | null; time_ms: number }[] };
    const first = alerts.alerts.find((a) => a.name === "Amy Pond");
    assert.ok(first && first.time_ms > enrolledAt - 1000, "alerted after the enrollment");

    await page.screenshot({ path: path.join(ARTIFACTS, "live-page.png") });
  });

  it("plays the alert's clip once stored (Range requests through the api)", async () => {
    await page.locator("#alert-list video.clip").first().waitFor({ state: "attached", timeout: 30_000 });
    // Pin one alert: a newer alert's clip may be stored (and listed first) while this test runs.
    const id = await page
      .locator("#alert-list li[data-alert-id]")
      .filter({ has: page.locator("video.clip") })
      .first()
      .getAttribute("data-alert-id");
    const item = page.locator(`#alert-list li[data-alert-id="${id}"]`);
    const video = item.locator("video.clip");
    const src = await video.getAttribute("src");
    assert.match(src ?? "", /^\/api\/clips\/door\/.+\.mp4$/);
    const head = await page.evaluate(async (url) => {
      const response = await fetch(url, { headers: { range: "bytes=0-99" } });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        status: response.status,
        range: response.headers.get("content-range"),
        type: response.headers.get("content-type"),
        box: String.fromCharCode(...bytes.slice(4, 8)),
      };
    }, src as string);
    assert.equal(head.status, 206);
    assert.match(head.range ?? "", /^bytes 0-99\/\d+$/);
    assert.equal(head.type, "video/mp4");
    assert.equal(head.box, "ftyp", "an MP4 file");
    const player = item.locator("details.clip-player");
    await player.locator("summary").click();
    assert.ok(await player.locator("video").isVisible(), "the clip's player opens");
  });

  it("searches by an alert's face (“Where seen?”): its camera track is listed, with its clip", async () => {
    const item = page
      .locator("#alert-list li[data-alert-id]")
      .filter({ has: page.locator("video.clip") })
      .first();
    const [, trackId] = /track (\d+)/.exec((await item.textContent()) ?? "") ?? [];
    assert.ok(trackId, "the alert names its track");
    const clip = await item.locator("video.clip").getAttribute("src");
    await page.fill("#search-form input[name=limit]", "1000");
    // The api remembers the track from the bus: its clip is linked once the clip event is read.
    await waitFor(
      async () => {
        await item.locator("button", { hasText: "Where seen?" }).click();
        await page.waitForSelector("#search-status:not([data-state=busy])");
        const hit = page.locator(`#search-results li[data-kind=camera][data-track-id="${trackId}"]`);
        return (await hit.count()) === 1 && (await hit.locator(".clip-link").getAttribute("href")) === clip;
      },
      `track ${trackId} found by its alert's face, with its clip ${clip}`,
      30_000,
      500,
    );
    const first = page.locator("#search-results li").first();
    assert.match((await first.locator(".where").textContent()) ?? "", /^camera door #\d+$/);
    const similarity = Number(await first.locator(".similarity").textContent());
    assert.ok(similarity > 0.36, `the same face (similarity ${similarity})`);
  });

  it("says why an enrollment is refused: the face already belongs to someone", async () => {
    const alert = page.locator("#alert-list li[data-alert-id][data-known=false]").first();
    await alert.locator("details.enroll summary").click();
    const enroll = alert.locator(".enroll");
    await enroll.locator("input[name=name]").fill("Someone Else");
    await enroll.locator("button[type=submit]").click();
    const message = enroll.locator(".form-error");
    await message.filter({ hasText: "matches" }).waitFor({ timeout: 10_000 });
    assert.match((await message.textContent()) ?? "", /already matches 'Amy Pond'/);
    assert.ok(await enroll.locator("input[name=force]").isVisible(), "'enroll anyway' offered");
  });

  it("renames and deletes a person of the gallery", async () => {
    const item = page.locator("#gallery-list li[data-identity-id]").first();
    await item.getByRole("button", { name: "Rename" }).click();
    await item.locator("input[name=name]").fill("Amy P.");
    await item.getByRole("button", { name: "Save" }).click();
    await page.locator("#gallery-list .identity-name", { hasText: "Amy P." }).waitFor({ timeout: 10_000 });
    const renamed = page.locator("#gallery-list li[data-identity-id]").first();
    await renamed.getByRole("button", { name: "Delete…" }).click();
    await renamed.getByRole("button", { name: "Delete", exact: true }).click();
    await page.locator("#gallery-empty").waitFor({ state: "visible", timeout: 10_000 });
    assert.equal(await page.locator("#gallery-list li").count(), 0);
  });

  it("lists alerts from the alerts stream: dates, filters, paging, acknowledge; the camera grid; the favicon", async () => {
    // 60 older alerts of a person on another camera, as the alert service publishes them.
    const connection = await connectBus({ servers: [nats.url], name: "web-page-alerts" });
    const bus = typedBus(connection);
    const dayAgo = Date.now() - 86_400_000;
    const zed = { id: "zed-id", name: "Zed", attributes: {}, similarity: 0.7 };
    try {
      for (let i = 0; i < 60; i++) {
        const alert = Alert.fromPartial({
          id: `yard-${i + 1}-${i}`,
          camera: "yard",
          trackId: i + 1,
          identity: zed,
          similarity: 0.7,
          timeMs: dayAgo + i * 1000,
          seq: i,
          mode: "ON_ALL",
          thumbnailJpeg: Buffer.from(
            await sharp({ create: { width: 8, height: 8, channels: 3, background: "#888" } })
              .jpeg()
              .toBuffer(),
          ),
        });
        await bus.publish("alerts", alert, { msgId: alert.id });
      }
      // The clip recorder takes the camera's alerts too (the camera is found in FT_ALERTS): its record of
      // the first one (no clip: frame 0) comes first, then the one read back below.
      const recorded: string[] = [];
      const records = await bus.consume("deliveries", {
        camera: "yard",
        deliverPolicy: "all",
        handler: (d) => {
          if (d.clipStatus) recorded.push(d.alertId);
        },
      });
      await waitFor(() => recorded.includes("yard-1-0"), "the clip recorder's record of yard-1-0", 60_000);
      await records.stop();
      await bus.publish(
        "deliveries",
        AlertDelivery.fromPartial({
          alertId: "yard-1-0",
          camera: "yard",
          clipStatus: "stored",
          clipKey: "yard/x/1.mp4",
        }),
      );
    } finally {
      await connection.close();
    }
    await page.reload();
    await page.locator("#alert-list li[data-alert-id]").first().waitFor({ timeout: 20_000 });
    // Filter by person: the first page (50), then the older ones with "Load more".
    await page.fill("#alert-filters input[name=person]", "zed");
    await page.locator("#alert-filters input[name=person]").blur();
    await waitFor(
      async () => (await page.locator("#alert-list li[data-alert-id]").count()) === 50,
      "50 of Zed's alerts",
    );
    assert.equal(
      await page.locator("#alert-list li[data-alert-id]").first().getAttribute("data-alert-id"),
      "yard-60-59",
    );
    // With its date, not only the time of day.
    const when =
      (await page.locator("#alert-list li[data-alert-id] .card-title .muted").first().textContent()) ?? "";
    assert.match(when, new RegExp(String(new Date(dayAgo).getFullYear())), when);
    await page.click("#alerts-more");
    await waitFor(async () => (await page.locator("#alert-list li[data-alert-id]").count()) === 60, "all 60");
    assert.ok(await page.locator("#alerts-more").isHidden(), "nothing older");
    // Acknowledge one: shown as such, kept (the KV bucket), and "not acknowledged" leaves it out.
    const first = page.locator('#alert-list li[data-alert-id="yard-60-59"]');
    await first.locator("button.ack").click();
    await waitFor(async () => (await first.getAttribute("data-acknowledged")) === "true", "acknowledged");
    await page.check("#alert-filters input[name=unacknowledged]");
    await waitFor(
      async () => (await page.locator('#alert-list li[data-alert-id="yard-60-59"]').count()) === 0,
      "left out",
    );
    const api = async (q: string) =>
      (await fetch(`${base}/api/alerts?${q}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) =>
        r.json(),
      )) as {
        alerts: { id: string; acknowledged: number | null; clip: { key: string } }[];
        next: number | null;
        error?: string;
      };
    assert.equal((await api("person=zed&unacknowledged=1&limit=200")).alerts.length, 59);
    const acked = (await api("person=zed&limit=1")).alerts[0];
    assert.ok(acked?.acknowledged, "acknowledged, for every page");
    assert.equal((await api("known=maybe")).error, '"known" must be "known" or "unknown"');
    // Pages by cursor over the stream: 25 + 25 + 10, the same alerts as one page of 60.
    const one = await api("person=zed&limit=25");
    const two = await api(`person=zed&limit=25&before=${one.next}`);
    const three = await api(`person=zed&limit=25&before=${two.next}`);
    assert.deepEqual(
      [...one.alerts, ...two.alerts, ...three.alerts].map((a) => a.id),
      (await api("person=zed&limit=60")).alerts.map((a) => a.id),
    );
    assert.equal(three.next, null);
    assert.equal(three.alerts.at(-1)?.clip.key, "yard/x/1.mp4", "its delivery read back too");
    await page.uncheck("#alert-filters input[name=unacknowledged]");
    await page.fill("#alert-filters input[name=person]", "");
    await page.locator("#alert-filters input[name=person]").blur();

    // Every camera at once: a tile per camera with its state; a tile opens it.
    await page.click("#grid-toggle");
    const tile = page.locator('#camera-grid figure[data-camera="door"]');
    await tile.waitFor();
    assert.match((await tile.locator("figcaption").textContent()) ?? "", /^door · /);
    assert.ok(await page.locator("#live-canvas").isHidden());
    await tile.click();
    await page.locator("#live-canvas").waitFor({ state: "visible" });
    assert.ok(await page.locator("#camera-grid").isHidden());

    // The favicon.
    assert.equal(await page.locator('link[rel="icon"]').getAttribute("href"), "/favicon.svg");
    for (const file of ["favicon.svg", "favicon.ico"]) {
      const icon = await fetch(`${base}/${file}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(icon.status, 200, file);
      assert.equal(icon.headers.get("content-type"), "image/svg+xml");
      await icon.body?.cancel();
    }
  });

  it("fits a phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page
      .locator("html")
      .evaluate((html: { scrollWidth: number; clientWidth: number }) => html.scrollWidth - html.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
    const canvasBox = await page.locator("#live-canvas").boundingBox();
    assert.ok(canvasBox && canvasBox.width <= 390 && canvasBox.width > 300, "the live view fills the width");
    await page.screenshot({ path: path.join(ARTIFACTS, "phone.png"), fullPage: true });
  });
});

describe("web page without api.token", () => {
  it("is open, and its errors say what is wrong", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-web-open-"));
    const nats = await startNatsServer();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      api: { port: await freeLocalPort(), http_port: 0 },
    });
    const pipeline = await startPipeline(nats.url, config, [
      ["api", startApiService],
      ["web", startWebService],
    ]);
    try {
      const port = (pipeline.services.get("web") as unknown as { httpPort: number | undefined }).httpPort;
      const url = `http://127.0.0.1:${port}`;
      const home = await fetch(`${url}/`);
      assert.equal(home.status, 200);
      assert.match(await home.text(), /live-canvas/);
      const login = await fetch(`${url}/login`, { redirect: "manual" });
      assert.equal(login.status, 303, "no login needed");
      assert.equal(login.headers.get("location"), "/");
      const session = (await (await fetch(`${url}/api/session`)).json()) as { token_required: boolean };
      assert.equal(session.token_required, false);

      const errorOf = async (response: Response) => ({
        status: response.status,
        error: ((await response.json()) as { error: string }).error,
      });
      const post = (body: unknown) =>
        fetch(`${url}/api/enroll`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      assert.deepEqual(await errorOf(await post({ name: "x", alertId: "gone-1" })), {
        status: 404,
        error: "this alert's face picture is no longer kept: enroll from a track or a photo",
      });
      assert.match((await errorOf(await post({ alertId: "a" }))).error, /"name" is missing/);
      const clip = await errorOf(await fetch(`${url}/api/clips/door/2024-01-01/000000-x.mp4`));
      assert.equal(clip.status, 404);
      assert.match(clip.error, /not \(or no longer\) in the clip storage/);
      assert.equal((await errorOf(await fetch(`${url}/api/live/front%20door`))).status, 400);
      assert.match(
        (await errorOf(await fetch(`${url}/api/gallery/nobody`, { method: "DELETE" }))).error,
        /nobody/,
      );
    } finally {
      await pipeline.stop();
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("live view pairing and page helpers", () => {
  const frame = (seq: number) => Frame.fromPartial({ camera: "door", seq, width: 640, height: 360 });
  const snapshot = (seq: number) => TrackSnapshot.fromPartial({ camera: "door", seq });
  const sentSeq = (pair: ReturnType<FramePairer["addFrame"]>) => pair?.frame.seq;

  it("pairs each frame with its snapshot, drops what would be late or above the rate, never goes back", () => {
    const pairer = new FramePairer({ maxFps: 10 });
    // Tracking is running: frames wait for their snapshot.
    assert.equal(sentSeq(pairer.addSnapshot(snapshot(1), 0)), undefined, "no frame 1 seen");
    for (let seq = 2; seq <= 6; seq++) assert.equal(pairer.addFrame(frame(seq), seq * 40), undefined);
    const pair = pairer.addSnapshot(snapshot(4), 300);
    assert.equal(pair?.frame.seq, 4);
    assert.equal(pair?.snapshot?.seq, 4);
    assert.equal(sentSeq(pairer.addSnapshot(snapshot(5), 340)), undefined, "40 ms later: above 10 fps");
    assert.equal(sentSeq(pairer.addSnapshot(snapshot(6), 420)), 6);
    assert.equal(sentSeq(pairer.addSnapshot(snapshot(3), 600)), undefined, "an older frame never follows");
    // A snapshot ahead of its frame (two consumers) waits for it.
    assert.equal(sentSeq(pairer.addSnapshot(snapshot(8), 700)), undefined);
    assert.equal(sentSeq(pairer.addFrame(frame(7), 701)), undefined);
    assert.equal(sentSeq(pairer.addFrame(frame(8), 702)), 8);
    assert.equal(pairer.counters.sent, 3);
  });

  it("sends frames without tracks while no snapshot comes, and starts again after an ingest restart", () => {
    const pairer = new FramePairer({ maxFps: 5, trackingTimeoutMs: 2000 });
    const bare = pairer.addFrame(frame(1), 0);
    assert.equal(bare?.frame.seq, 1);
    assert.equal(bare?.snapshot, null, "no tracking data");
    assert.equal(sentSeq(pairer.addFrame(frame(2), 100)), undefined, "above 5 fps");
    assert.equal(sentSeq(pairer.addFrame(frame(3), 200)), 3);
    pairer.addSnapshot(snapshot(3), 250);
    assert.equal(sentSeq(pairer.addFrame(frame(4), 500)), undefined, "tracking runs: frame 4 waits");
    assert.equal(sentSeq(pairer.addFrame(frame(5), 2300)), 5, "no snapshot for 2 s: frames go bare");
    assert.equal(sentSeq(pairer.addFrame(frame(1), 2600)), 1, "seq 1 again: the camera restarted");
  });

  it("parses Range headers, hides source passwords, and points at MediaMTX's players", () => {
    assert.deepEqual(parseRange("bytes=0-99", 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange("bytes=900-", 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange("bytes=-100", 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange("bytes=990-2000", 1000), { start: 990, end: 999 });
    assert.equal(parseRange("bytes=1000-", 1000), "unsatisfiable");
    assert.equal(parseRange("bytes=0-1,5-6", 1000), undefined, "several ranges: the whole file");
    assert.equal(parseRange(undefined, 1000), undefined);
    assert.equal(maskCredentials("rtsp://admin:s3cret@cam.local/live"), "rtsp://admin:***@cam.local/live");
    assert.equal(maskCredentials("/videos/door.mp4"), "/videos/door.mp4");
    assert.deepEqual(mediamtxPlayer("rtsp://media.example.com:8554", "door", "site:8080"), {
      webrtc: "http://media.example.com:8889/door/",
      hls: "http://media.example.com:8888/door/",
    });
    assert.deepEqual(
      mediamtxPlayer("rtsp://mediamtx:8554", "door", "192.168.1.5:8080").webrtc,
      "http://192.168.1.5:8889/door/",
      "a container name or loopback: the host the browser used",
    );
    assert.equal(
      mediamtxPlayer("rtsp://127.0.0.1:8554/site", "lobby/main", undefined).hls,
      "http://127.0.0.1:8888/site/lobby/main/",
    );
  });

  it("says which identity an unknown face came closest to, and when an alert's person was seen again", async () => {
    // @ts-expect-error: the page's plain JavaScript module has no declarations
    const { alertWho, seenAgainText } = await import("../services/web/public/alert-timeline.js");
    // @ts-expect-error: the page's plain JavaScript module has no declarations
    const { trackStateText } = await import("../services/web/public/track-list.js");
    const closest = { name: "obama", similarity: 0.281 };
    assert.equal(alertWho({ name: null, closest }), "unknown — closest: obama 0.28");
    assert.equal(alertWho({ name: null, closest: null }), "unknown");
    assert.equal(
      alertWho({ name: null, closest, unknownAs: "unknown visitor #3, second visit today" }),
      "unknown visitor #3, second visit today — closest: obama 0.28",
    );
    assert.equal(alertWho({ name: "amy", closest: null }), "amy");
    assert.equal(seenAgainText({ seenAgain: [], seenAgainCount: 0 }), "");
    const t = Date.UTC(2026, 0, 31, 10, 4, 5);
    const sightings = [
      { camera: "door", trackId: 4, timeMs: t - 9000, name: null, reason: "same_face", similarity: 0.8 },
      { camera: "hall", trackId: 12, timeMs: t, name: "amy", reason: "cooldown", similarity: 0 },
    ];
    assert.match(
      seenAgainText({ seenAgain: sightings, seenAgainCount: 3 }),
      /^seen again 3× · last: hall · track 12 \(amy\) · .+$/,
    );
    const snapshot = TrackSnapshot.fromPartial({
      camera: "door",
      seq: 3,
      tracks: [
        {
          trackId: 5,
          state: 2,
          box: { x1: 50, y1: 2, x2: 80, y2: 40 },
          closest: { id: "o", name: "obama", similarity: 0.28, attributes: {} },
        },
      ],
    });
    const frame = { ...Frame.fromPartial({ camera: "door", seq: 3, width: 640, height: 360 }), timeMs: 0 };
    const [track] = livePayload({ frame, snapshot, pairing: "exact" }, () => false).tracks;
    assert.deepEqual(track?.closest, { name: "obama", similarity: 0.28 });
    assert.equal(trackStateText(track), "confirmed · closest: obama 0.28");
    assert.equal(
      trackStateText({ ...track, name: "amy", similarity: 0.7, closest: null }),
      "confirmed · 0.70",
    );
  });

  it("shows a confirmed track still identifying (waiting for an embed worker) as identifying, not unknown", async () => {
    // @ts-expect-error: the page's plain JavaScript module has no declarations
    const { trackColor, trackLabel } = await import("../services/web/public/live-view.js");
    const snapshot = TrackSnapshot.fromPartial({
      camera: "door",
      seq: 3,
      tracks: [
        { trackId: 4, state: 2, box: { x1: 1, y1: 2, x2: 30, y2: 40 }, identifying: true },
        { trackId: 5, state: 2, box: { x1: 50, y1: 2, x2: 80, y2: 40 } },
      ],
    });
    const frame = { ...Frame.fromPartial({ camera: "door", seq: 3, width: 640, height: 360 }), timeMs: 0 };
    const { tracks } = livePayload({ frame, snapshot, pairing: "exact" }, () => false);
    assert.deepEqual(
      tracks.map((t) => [t.id, t.name, t.identifying]),
      [
        [4, null, true],
        [5, null, false],
      ],
    );
    const colors = { known: "k", unknown: "u", identifying: "i", lost: "l" };
    assert.deepEqual(
      tracks.map((t) => [trackLabel(t), trackColor(t, colors)]),
      [
        ["#4 identifying", "i"],
        ["#5 unknown", "u"],
      ],
    );
  });
});
