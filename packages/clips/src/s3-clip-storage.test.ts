import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type S3TestServer, startS3Server } from "@facetracker/testing/clips";
import { InvalidClipKeyError } from "./clip-key.ts";
import { ClipStorageError } from "./clip-storage.ts";
import { S3ClipStorage } from "./s3-clip-storage.ts";

let server: S3TestServer;
let root: string;
let video: string;
const opened: S3ClipStorage[] = [];

function storageFor(overrides: Partial<ConstructorParameters<typeof S3ClipStorage>[0]> = {}): S3ClipStorage {
  const storage = new S3ClipStorage({
    endpoint: server.endpoint,
    bucket: server.bucket,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    ...overrides,
  });
  opened.push(storage);
  return storage;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "clips-s3-test-"));
  video = join(root, "clip.mp4");
  await promisify(execFile)("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=160x120:rate=10",
    "-t",
    "1",
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
    video,
  ]);
  server = await startS3Server();
});
after(async () => {
  for (const storage of opened) await storage.close();
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe("S3ClipStorage (s3rver)", { timeout: 60_000 }, () => {
  it("uploads a clip whose presigned URL serves the same bytes; lists, reads, downloads and deletes", async () => {
    const storage = storageFor({ urlExpirationS: 120 });
    const bytes = await readFile(video);
    await writeFile(join(root, "clip.json"), JSON.stringify({ frames: [{ i: 0, faces: [] }] }));
    await storage.put("cam1/2024-05-17/080309-a1.json", join(root, "clip.json"), "application/json");
    await storage.put("cam1/2024-05-17/080309-a1.mp4", video, "video/mp4");
    await storage.put("cam2/2024-05-17/090000-b2.mp4", video, "video/mp4");

    const url = await storage.url("cam1/2024-05-17/080309-a1.mp4");
    assert.match(
      url,
      new RegExp(`^${server.endpoint}/${server.bucket}/cam1/2024-05-17/080309-a1\\.mp4\\?`),
      "path-style",
    );
    assert.match(url, /X-Amz-Expires=120/);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "video/mp4");
    assert.ok(
      Buffer.from(await response.arrayBuffer()).equals(bytes),
      "presigned download equals the upload",
    );

    const listed = await storage.list();
    assert.deepEqual(
      listed.map((o) => [o.key, o.size]),
      [
        ["cam1/2024-05-17/080309-a1.json", (await readFile(join(root, "clip.json"))).length],
        ["cam1/2024-05-17/080309-a1.mp4", bytes.length],
        ["cam2/2024-05-17/090000-b2.mp4", bytes.length],
      ],
    );
    assert.ok(listed.every((o) => o.lastModified instanceof Date && !Number.isNaN(o.lastModified.getTime())));
    assert.deepEqual(
      (await storage.list("cam2/")).map((o) => o.key),
      ["cam2/2024-05-17/090000-b2.mp4"],
    );

    assert.ok(Buffer.from(await storage.get("cam1/2024-05-17/080309-a1.mp4")).equals(bytes));
    await storage.download("cam1/2024-05-17/080309-a1.mp4", join(root, "down", "a1.mp4"));
    assert.ok((await readFile(join(root, "down", "a1.mp4"))).equals(bytes));

    await storage.delete("cam2/2024-05-17/090000-b2.mp4");
    assert.deepEqual(
      (await storage.list("cam2/")).map((o) => o.key),
      [],
    );
    await assert.rejects(storage.get("cam2/2024-05-17/090000-b2.mp4"), (error: unknown) => {
      assert.ok(error instanceof ClipStorageError);
      assert.equal(error.code, "NoSuchKey");
      assert.match(error.message, /GetObject of "cam2\/2024-05-17\/090000-b2\.mp4" failed/);
      assert.match(error.message, new RegExp(`endpoint ${server.endpoint}, bucket "${server.bucket}"`));
      return true;
    });
    assert.equal(storage.describe(), `S3 ${server.endpoint} bucket "${server.bucket}" (region us-east-1)`);
  });

  it("creates a missing bucket on first use", async () => {
    const storage = storageFor({ bucket: "created-on-first-use" });
    assert.deepEqual(await storage.list(), []);
    await storage.put("cam1/x.mp4", video, "video/mp4");
    assert.deepEqual(
      (await storage.list()).map((o) => o.key),
      ["cam1/x.mp4"],
    );
  });

  it("without createBucket, a missing bucket is a NoSuchBucket error naming it", async () => {
    const storage = storageFor({ bucket: "never-created", createBucket: false });
    await assert.rejects(storage.put("cam1/x.mp4", video, "video/mp4"), (error: unknown) => {
      assert.ok(error instanceof ClipStorageError);
      assert.equal(error.code, "NoSuchBucket");
      assert.match(error.message, /bucket "never-created"/);
      return true;
    });
  });

  it("wrong credentials: a clear error with the endpoint, the bucket and the S3 code", async () => {
    const storage = storageFor({ accessKey: "WRONG-KEY", secretKey: "wrong-secret" });
    await assert.rejects(storage.put("cam1/y.mp4", video, "video/mp4"), (error: unknown) => {
      assert.ok(error instanceof ClipStorageError);
      assert.equal(error.code, "InvalidAccessKeyId");
      assert.equal(error.unreachable, false);
      assert.match(error.message, /InvalidAccessKeyId \(HTTP 403\)/);
      assert.match(error.message, new RegExp(`endpoint ${server.endpoint}, bucket "${server.bucket}"`));
      assert.doesNotMatch(error.message, /wrong-secret/);
      return true;
    });
  });

  it("an endpoint that is down fails at once with 'unreachable (connection refused)'", async () => {
    const down = await startS3Server();
    const storage = storageFor({ endpoint: down.endpoint, bucket: down.bucket });
    await storage.put("cam1/z.mp4", video, "video/mp4"); // up: works, and keeps a connection open
    await down.stop();
    try {
      for (const call of [() => storage.put("cam1/z.mp4", video, "video/mp4"), () => storage.list()]) {
        await assert.rejects(call, (error: unknown) => {
          assert.ok(error instanceof ClipStorageError);
          assert.equal(error.unreachable, true);
          assert.equal(error.code, "Unreachable");
          assert.match(
            error.message,
            new RegExp(`S3 endpoint ${down.endpoint} is unreachable \\(connection (refused|reset)\\)`),
          );
          return true;
        });
      }
      // A fresh client never got a connection: refused.
      const fresh = storageFor({ endpoint: down.endpoint, bucket: down.bucket });
      await assert.rejects(fresh.list(), /is unreachable \(connection refused\)/);
    } finally {
      await down.close();
    }
  });

  it("checks its options and keys", async () => {
    assert.throws(
      () => storageFor({ endpoint: "minio:9000" }),
      /endpoint must be an http:\/\/ or https:\/\/ URL/,
    );
    assert.throws(() => storageFor({ bucket: "B" }), /bucket "B" is not a valid bucket name/);
    assert.throws(() => storageFor({ accessKey: "" }), /accessKey is empty/);
    assert.throws(
      () => storageFor({ urlExpirationS: 700_000 }),
      /urlExpirationS must be a positive integer \(at most 604800\)/,
    );
    const storage = storageFor();
    await assert.rejects(storage.put("../x.mp4", video, "video/mp4"), InvalidClipKeyError);
    await assert.rejects(storage.url("/x.mp4"), InvalidClipKeyError);
    await assert.rejects(
      storage.put("cam1/a.mp4", join(root, "missing.mp4"), "video/mp4"),
      /cannot read .*missing\.mp4/,
    );
  });

  it("presigns against publicEndpoint (what recipients reach), uploads to endpoint; the URL works through a proxy", async () => {
    // The public side: a proxy on another address that passes requests on to the S3 server with their Host
    // header (as a reverse proxy in front of MinIO must), like https://files.example.org → http://minio:9000.
    const target = new URL(server.endpoint);
    const proxy = createServer((req, res) => {
      const forward = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const publicEndpoint = `http://localhost:${(proxy.address() as AddressInfo).port}`;
    try {
      const storage = storageFor({ publicEndpoint });
      await storage.put("cam1/2024-05-18/public.mp4", video, "video/mp4"); // through endpoint
      const url = await storage.url("cam1/2024-05-18/public.mp4");
      assert.equal(new URL(url).origin, publicEndpoint, "the presigned URL names the public endpoint");
      assert.ok(url.startsWith(`${publicEndpoint}/${server.bucket}/cam1/2024-05-18/public.mp4?`), url);
      const response = await fetch(url);
      assert.equal(response.status, 200, await response.clone().text());
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(await readFile(video)));
      assert.equal(
        storage.describe(),
        `S3 ${server.endpoint} bucket "${server.bucket}" (region us-east-1, links at ${publicEndpoint})`,
      );
      assert.throws(
        () => storageFor({ publicEndpoint: "files.example.org" }),
        /publicEndpoint must be an http:\/\/ or https:\/\/ URL/,
      );
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("hides credentials given in the endpoint URL", () => {
    const storage = storageFor({ endpoint: server.endpoint.replace("http://", "http://user:pw@") });
    assert.doesNotMatch(storage.describe(), /pw/);
  });
});
