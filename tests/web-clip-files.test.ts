/**
 * The web page's clip route (GET /api/clips/<key>) serves only files inside the clip directory: path
 * traversal in every spelling is refused, and so is a symbolic link inside the directory that leads out of
 * it (to /etc/passwd); a link that stays inside is served. Real nats-server, api and web services in this
 * process, real files and links on disk; requests sent raw (fetch would normalize "..").
 */

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { startApiService } from "@facetracker/service-api";
import { freeLocalPort } from "@facetracker/service-host";
import { startWebService } from "@facetracker/service-web";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

/** GET of a raw path (not normalized): status and body. */
function rawGet(port: number, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: rawPath, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const PASSWD = /root:.*:0:0:/;

/** The 19 traversal spellings the issue tried: none may reach a file outside the clip directory. */
const TRAVERSALS = [
  "/api/clips/../../../../etc/passwd",
  "/api/clips/..%2f..%2f..%2f..%2fetc%2fpasswd",
  "/api/clips/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
  "/api/clips/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd.mp4",
  "/api/clips/..%252f..%252f..%252fetc%252fpasswd.mp4",
  "/api/clips/door/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd.mp4",
  "/api/clips/%2fetc%2fpasswd.mp4",
  "/api/clips//etc/passwd.mp4",
  "/api/clips/door/2024-01-01/..%5c..%5c..%5c..%5cetc%5cpasswd.mp4",
  "/api/clips/..\\..\\..\\etc\\passwd.mp4",
  "/api/clips/door/2024-01-01/000000-a.mp4%00.json",
  "/api/clips/%00/etc/passwd.mp4",
  "/api/clips/..%c0%af..%c0%af..%c0%afetc%c0%afpasswd.mp4",
  "/api/clips/door/./../../../../etc/passwd.mp4",
  "/api/clips/door/%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd.mp4",
  "/api/clips/file:%2f%2f%2fetc%2fpasswd.mp4",
  "/api/clips/%2Fetc%2Fpasswd.json",
  "/api/clips/door/2024-01-01/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd.mp4",
  "/api/clips/...%2f...%2f...%2fetc%2fpasswd.mp4",
];

describe("web clip route stays inside the clip directory", () => {
  let dir: string;
  let nats: NatsTestServer;
  let pipeline: RunningPipeline;
  let port: number;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-web-clips-"));
    const day = path.join(dir, "clips", "door", "2024-01-01");
    await mkdir(day, { recursive: true });
    await writeFile(path.join(day, "000000-a.mp4"), "a real clip");
    await symlink("/etc/passwd", path.join(day, "000001-passwd.mp4"));
    await symlink("/etc/passwd", path.join(day, "000001-passwd.json"));
    await symlink("/etc", path.join(dir, "clips", "etc")); // a directory link out of the root
    await symlink("000000-a.mp4", path.join(day, "000002-same.mp4")); // inside → inside
    nats = await startNatsServer();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      api: { port: await freeLocalPort(), http_port: 0 },
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

  it("serves a clip, and a link that stays inside the directory", async () => {
    assert.deepEqual(await rawGet(port, "/api/clips/door/2024-01-01/000000-a.mp4"), {
      status: 200,
      body: "a real clip",
    });
    assert.deepEqual(await rawGet(port, "/api/clips/door/2024-01-01/000002-same.mp4"), {
      status: 200,
      body: "a real clip",
    });
  });

  it("refuses a symbolic link inside the clip directory that leads to /etc/passwd (403, never its content)", async () => {
    for (const key of [
      "door/2024-01-01/000001-passwd.mp4",
      "door/2024-01-01/000001-passwd.json",
      "etc/passwd.json",
    ]) {
      const { status, body } = await rawGet(port, `/api/clips/${key}`);
      assert.doesNotMatch(body, PASSWD, key);
      if (key.startsWith("etc/")) {
        assert.ok(status === 403 || status === 404, `${key}: ${status} ${body}`);
      } else {
        assert.equal(status, 403, `${key}: ${body}`);
        assert.match(body, /leads outside the clip storage/);
      }
    }
  });

  it("refuses the 19 path-traversal variants (4xx, never the file)", async () => {
    assert.equal(TRAVERSALS.length, 19);
    for (const variant of TRAVERSALS) {
      const { status, body } = await rawGet(port, variant);
      assert.ok(status >= 400 && status < 500, `${variant}: ${status} ${body}`);
      assert.doesNotMatch(body, PASSWD, variant);
    }
  });
});
