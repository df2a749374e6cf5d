/**
 * Search by face on the operators' page (issue 16, item 3), in headless Chromium: a real nats-server, the
 * api and web services in this process (api.token set), the face memory holding two tracks of two people
 * (embeddings of their faces from the real models: a camera track of Amy with its alert clip, a file track
 * of Bea). Uploading another photo of Amy lists her track first with its similarity, time, camera, face
 * and clip link; "Where seen?" on Amy in the gallery finds it too; a photo without a face says so; the
 * search is refused without the token and from another site.
 */

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { openConfiguredMemory } from "@facetracker/pipeline";
import { type EnrollRequest, type EnrollResponse, FaceTrackerApiClient } from "@facetracker/proto";
import { startApiService } from "@facetracker/service-api";
import { freeLocalPort } from "@facetracker/service-host";
import { startWebService } from "@facetracker/service-web";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { encodeJpeg, FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { credentials, Metadata } from "@grpc/grpc-js";
import { type Browser, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { lobbyFaces } from "./helpers/lobby-video.ts";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

const TOKEN = "web-search-token-4321";

/** Waits until `selector` matches `n` elements. */
const countIs = (page: Page, selector: string, n: number) =>
  waitFor(async () => (await page.locator(selector).count()) === n, `${n} × ${selector}`);
/** Waits until the first element of `selector` has text matching `pattern`. */
const textMatches = (page: Page, selector: string, pattern: RegExp) =>
  waitFor(
    async () => pattern.test((await page.locator(selector).first().textContent()) ?? ""),
    `${selector} ~ ${pattern}`,
  );

describe("search by face on the web page (Chromium, real api and web services, real models)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let pipeline: RunningPipeline;
  let base: string;
  let browser: Browser;
  let page: Page;
  let amyPhoto: string;
  let noFacePhoto: string;
  let config: ReturnType<typeof parseConfig>;
  let amyId: string;
  let amyFace: RgbImage;
  let amyEmbedding: Float32Array;
  const seenAt = Date.parse("2026-11-24T10:15:02.000Z");

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-web-search-"));
    nats = await startNatsServer();
    const apiPort = await freeLocalPort();
    config = parseConfig({
      db_path: path.join(dir, "gallery"),
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      api: { port: apiPort, http_port: 0, token: TOKEN },
      memory: { retention_days: 0 },
    });

    const analyzer = await FaceAnalyzer.create();
    const { amy, bea } = await lobbyFaces(analyzer);
    const embedding = async (picture: RgbImage) => {
      const [face] = await analyzer.analyze(picture, { embed: true });
      assert.ok(face?.embedding, "the sample face is embedded");
      return face.embedding;
    };
    const amyJpeg = Buffer.from(await encodeJpeg(amy));
    amyFace = amy;
    amyEmbedding = await embedding(amy);

    // Another photo of Amy (mirrored), and a picture without a face.
    amyPhoto = await writeMirroredJpeg(amy, path.join(dir, "amy.jpg"));
    noFacePhoto = path.join(dir, "wall.jpg");
    await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 120, b: 150 } } })
      .jpeg()
      .toFile(noFacePhoto);

    pipeline = await startPipeline(nats.url, config, [
      ["api", startApiService],
      ["web", startWebService],
    ]);
    // The memory as the api records it (written once the api made the gallery folder; the api reads what
    // other processes commit): a camera track of Amy (with its alert's clip), a file track of Bea.
    const memory = openConfiguredMemory(config);
    memory.rememberSource({ kind: "clip", name: "door/2026-11-24/101502-door-14-310.mp4", camera: "door" }, [
      {
        trackId: 14,
        firstMs: seenAt,
        lastMs: seenAt,
        firstS: 0.4,
        lastS: 7.2,
        identity: null,
        closest: null,
        undetermined: false,
        thumbnail: await encodeJpeg(amy),
        clip: { key: "door/2026-11-24/101502-door-14-310.mp4" },
        embeddings: [{ vector: await embedding(amy), quality: 1 }],
      },
    ]);
    memory.rememberSource({ kind: "file", name: path.join(dir, "secret-folder", "lobby.mp4") }, [
      {
        trackId: 1,
        firstMs: seenAt,
        lastMs: seenAt,
        firstS: 1.5,
        lastS: 3,
        identity: null,
        closest: null,
        undetermined: false,
        thumbnail: await encodeJpeg(bea),
        embeddings: [{ vector: await embedding(bea), quality: 1 }],
      },
    ]);
    memory.close();
    // Amy enrolled in the gallery (through the api, the gallery's writer), for "Where seen?" on her card.
    const client = new FaceTrackerApiClient(`127.0.0.1:${apiPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${TOKEN}`);
    const enrolled = await new Promise<EnrollResponse>((resolve, reject) =>
      client.enroll(
        { name: "Amy", attributes: {}, images: [amyJpeg], force: true } as unknown as EnrollRequest,
        metadata,
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
    client.close();
    assert.equal(enrolled.enrolled, 1, `Amy enrolled: ${enrolled.problems.join("; ")}`);
    amyId = enrolled.identityId;

    const port = (pipeline.services.get("web") as unknown as { httpPort: number | undefined }).httpPort;
    assert.ok(port, "the web service serves the page");
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(`${base}/`);
    await page.fill("#token", TOKEN);
    await page.click("button[type=submit]");
    await page.waitForSelector("#search-form");
  });

  after(async () => {
    await browser?.close();
    await pipeline?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("an uploaded photo of Amy finds her track first: similarity, time, camera, face and clip link", async () => {
    await page.setInputFiles("#search-photo", amyPhoto);
    await page.click("#search-form button[type=submit]");
    await page.waitForSelector("#search-status[data-state=done]");
    const hits = page.locator("#search-results li");
    assert.equal(await hits.count(), 2, "both remembered tracks listed");
    const first = hits.first();
    assert.equal(await first.getAttribute("data-track-id"), "14");
    assert.match(
      (await first.locator(".where").textContent()) ?? "",
      /^clip door\/2026-11-24\/101502-door-14-310\.mp4 #14$/,
    );
    assert.match((await first.locator(".when").textContent()) ?? "", /0\.40–7\.20 s/);
    const amySimilarity = Number(await first.locator(".similarity").textContent());
    const beaSimilarity = Number(await hits.nth(1).locator(".similarity").textContent());
    assert.ok(amySimilarity > 0.36, `Amy's other photo is her (similarity ${amySimilarity})`);
    assert.ok(amySimilarity > beaSimilarity, `Amy ${amySimilarity} above Bea ${beaSimilarity}`);
    assert.equal(
      await first.locator(".clip-link").getAttribute("href"),
      "/api/clips/door/2026-11-24/101502-door-14-310.mp4",
    );
    const thumbnail = await first
      .locator("img.face")
      .evaluate((img: { naturalWidth: number }) => img.naturalWidth);
    assert.ok(thumbnail > 0, "the track's face is shown");
    // The file track names the file, never its folder on the server.
    const second = (await hits.nth(1).locator(".where").textContent()) ?? "";
    assert.equal(second, "file lobby.mp4 #1");
    assert.doesNotMatch(await page.locator("#search-results").innerHTML(), /secret-folder/);
  });

  it("filters: a camera without tracks finds nothing, and says so", async () => {
    await page.fill("#search-form input[name=camera]", "backyard");
    await page.setInputFiles("#search-photo", amyPhoto);
    await page.click("#search-form button[type=submit]");
    await page.waitForSelector("#search-status[data-state=empty]");
    assert.equal(await page.locator("#search-results li").count(), 0);
    await page.fill("#search-form input[name=camera]", "");
  });

  it("“Where seen?” on Amy in the gallery finds her track first", async () => {
    const card = page.locator("#gallery-list li", { hasText: "Amy" });
    await card.locator("button", { hasText: "Where seen?" }).click();
    await page.waitForSelector("#search-status[data-state=done]");
    assert.match((await page.locator("#search-status").textContent()) ?? "", /for Amy/);
    const first = page.locator("#search-results li").first();
    assert.equal(await first.getAttribute("data-track-id"), "14");
    const similarity = Number(await first.locator(".similarity").textContent());
    assert.ok(similarity > 0.36, `her enrolled face picture is her (similarity ${similarity})`);
  });

  it("a photo without a face: a clear message, no results", async () => {
    await page.setInputFiles("#search-photo", noFacePhoto);
    await page.click("#search-form button[type=submit]");
    await page.waitForSelector("#search-status[data-state=error]");
    assert.match((await page.locator("#search-status").textContent()) ?? "", /no face found in the photo/);
    assert.equal(await page.locator("#search-results li").count(), 0);
  });

  it("refuses a search without the token, from another site, and of a photo above the size limit", async () => {
    const photo = await readFile(amyPhoto);
    for (const headers of [{}, { authorization: "Bearer wrong-token" }, { cookie: "ft_token=wrong-token" }]) {
      const response = await fetch(`${base}/api/search`, {
        method: "POST",
        headers: { "content-type": "image/jpeg", ...headers },
        body: photo,
      });
      assert.equal(response.status, 401, JSON.stringify(headers));
      await response.body?.cancel();
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    const crossSite = await fetch(`${base}/api/search`, {
      method: "POST",
      headers: { "content-type": "image/jpeg", origin: "http://evil.example", ...auth },
      body: photo,
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();
    const tooLarge = await fetch(`${base}/api/search`, {
      method: "POST",
      headers: { "content-type": "image/jpeg", ...auth },
      body: Buffer.alloc(17 * 1024 * 1024),
    });
    assert.equal(tooLarge.status, 413);
    assert.match(((await tooLarge.json()) as { error: string }).error, /above 16 MiB/);
    const ok = await fetch(`${base}/api/search?limit=1`, {
      method: "POST",
      headers: { "content-type": "image/jpeg", ...auth },
      body: photo,
    });
    assert.equal(ok.status, 200);
    const { hits } = (await ok.json()) as { hits: { track_id: number; first_time: number }[] };
    assert.deepEqual(
      hits.map((h) => h.track_id),
      [14],
    );
  });

  it("the person view: Amy's faces (a photo added, a face deleted), where she was seen, her alert", async () => {
    // A camera track the gallery named Amy, with its alert (after the searches above: they count tracks).
    const memory = openConfiguredMemory(config);
    memory.rememberSource({ kind: "camera", name: "hall", camera: "hall" }, [
      {
        trackId: 20,
        firstMs: seenAt + 60_000,
        lastMs: seenAt + 65_000,
        identity: { id: amyId, name: "Amy", similarity: 0.62 },
        closest: null,
        undetermined: false,
        thumbnail: await encodeJpeg(amyFace),
        alertId: "hall-20-7",
        embeddings: [{ vector: amyEmbedding, quality: 1 }],
      },
    ]);
    memory.close();
    const card = page.locator("#gallery-list li", { hasText: "Amy" });
    await card.locator("button.open-person").click();
    await page.waitForSelector("#person-panel:not([hidden]) .person-timeline");
    assert.equal(await page.locator("#person-title").textContent(), "Amy");
    const faces = page.locator("#person-body .person-face");
    assert.equal(await faces.count(), 1);
    const sightings = page.locator("#person-body .sighting");
    assert.equal(await sightings.count(), 1);
    assert.match((await sightings.first().textContent()) ?? "", /camera hall #20.*Amy · alert hall-20-7/s);
    assert.match((await page.locator(".camera-presence").textContent()) ?? "", /^hall: 1×/);
    assert.match((await page.locator(".person-alerts").textContent()) ?? "", /hall-20-7/);
    // Another photo of Amy added from the person view, then one face deleted.
    await page.setInputFiles("#person-body .add-photo input[type=file]", amyPhoto);
    await page.click("#person-body .add-photo button[type=submit]");
    await countIs(page, "#person-body .person-face", 2);
    const pictured = await faces
      .first()
      .locator("img")
      .evaluate((img: { naturalWidth: number }) => img.naturalWidth);
    assert.ok(pictured > 0, "each face is shown");
    await faces.nth(1).locator("button", { hasText: "Delete" }).click();
    await countIs(page, "#person-body .person-face", 1);
    await textMatches(page, "#gallery-list", /Amy1 face(?!s)/);
    // A photo without a face is refused with the reason.
    await page.setInputFiles("#person-body .add-photo input[type=file]", noFacePhoto);
    await page.click("#person-body .add-photo button[type=submit]");
    await textMatches(page, "#person-body .person-faces .form-error", /not enrolled/);
  });

  it("visitors: the unknown tracks listed; one opened, seen where, and named (the enroll boxes suggest names)", async () => {
    await page.reload();
    await page.waitForSelector("#visitor-list li");
    const ids = await page
      .locator("#visitor-list li")
      .evaluateAll((items) => items.map((i) => i.getAttribute("data-visitor-id")));
    assert.equal(ids.length, 2, "Amy's clip track and Bea's file track: two visitors");
    // Bea's: the file track.
    let bea = "";
    for (const id of ids) {
      await page.locator(`#visitor-list li[data-visitor-id="${id}"] button.open-person`).click();
      await textMatches(page, "#person-title", new RegExp(`^Unknown visitor #${id}$`));
      await page.waitForSelector("#person-body .sighting");
      if (
        /file lobby\.mp4 #1/.test((await page.locator("#person-body .sighting").first().textContent()) ?? "")
      )
        bea = String(id);
    }
    assert.ok(bea, "one visitor is Bea's file track");
    await page.locator(`#visitor-list li[data-visitor-id="${bea}"] button.open-person`).click();
    await textMatches(page, "#person-title", new RegExp(`^Unknown visitor #${bea}$`));
    await page.fill("#person-body .name-visitor input[name=name]", "Bea");
    await page.click("#person-body .name-visitor button[type=submit]");
    await textMatches(page, "#person-title", /^Bea$/);
    await page.waitForSelector("#person-body .person-face");
    await textMatches(page, "#gallery-list", /Bea/);
    await countIs(page, "#visitor-list li", 1);
    const suggested = await page
      .locator("#gallery-names option")
      .evaluateAll((o) => o.map((x) => x.getAttribute("value")));
    assert.deepEqual(suggested.sort(), ["Amy", "Bea"]);
  });

  it("corrections: “This is…” names a visitor's sighting, “Not Amy” takes a sighting from her, each undone", async () => {
    // The visitor left: Amy's clip track, unknown to the gallery when it was remembered.
    await page.locator("#visitor-list li button.open-person").first().click();
    await textMatches(page, "#person-title", /^Unknown visitor #\d+$/);
    const sighting = page.locator("#person-body .sighting").first();
    await sighting.waitFor();
    assert.match((await sighting.textContent()) ?? "", /clip door\/2026-11-24\/101502-door-14-310\.mp4 #14/);
    await sighting.locator("details.this-is summary").click();
    await sighting.locator(".this-is input[name=name]").fill("Amy");
    await sighting.locator(".this-is button[type=submit]").click();
    await textMatches(page, "#person-notice", /^Named Amy \(\d+ faces? enrolled; correction #(\d+)\)/);
    // Amy's timeline has the clip track now, beside her camera track.
    await page.locator("#gallery-list li", { hasText: "Amy" }).locator("button.open-person").click();
    await textMatches(page, "#person-title", /^Amy$/);
    await countIs(page, "#person-body .sighting", 2);
    // Not Amy: the camera track leaves her timeline; undone, it is back.
    const camera = page.locator("#person-body .sighting", { hasText: "camera hall #20" });
    await camera.locator("button.not-person").click();
    await textMatches(page, "#person-notice", /^Marked as not Amy \(correction #\d+\)/);
    await countIs(page, "#person-body .sighting", 1);
    await page.locator("#person-notice button", { hasText: "Undo" }).click();
    await textMatches(page, "#person-notice", /^Undone\.$/);
    await countIs(page, "#person-body .sighting", 2);
    // The corrections are refused without the token and from another site, like every change.
    const body = JSON.stringify({ memoryId: 1, kind: "not" });
    const refused = await fetch(`${base}/api/corrections`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const crossSite = await fetch(`${base}/api/corrections`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        origin: "http://evil.example",
        authorization: `Bearer ${TOKEN}`,
      },
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();
  });
});
