import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { LocalClipStorage } from "./local-clip-storage.ts";
import { type ClipStorageConfig, ClipStorageConfigError, openClipStorage } from "./open-clip-storage.ts";
import { S3ClipStorage } from "./s3-clip-storage.ts";

function configError(config: unknown, message: RegExp): void {
  assert.throws(
    () => openClipStorage(config as ClipStorageConfig),
    (error: unknown) => error instanceof ClipStorageConfigError && message.test(error.message),
    `expected ${message} for ${JSON.stringify(config)}`,
  );
}

describe("openClipStorage", () => {
  it("opens a local directory for a path or file:// URL", () => {
    const absolute = openClipStorage({ endpoint: "/var/lib/facetracker/clips" });
    assert.ok(absolute instanceof LocalClipStorage);
    assert.equal(absolute.directory, "/var/lib/facetracker/clips");
    const relative = openClipStorage({ endpoint: "data/clips" }, { baseDir: "/srv/ft" });
    assert.equal((relative as LocalClipStorage).directory, join("/srv/ft", "data/clips"));
    assert.equal((openClipStorage({ endpoint: "./clips" }) as LocalClipStorage).directory, resolve("clips"));
    assert.equal(
      (openClipStorage({ endpoint: "file:///tmp/clips" }) as LocalClipStorage).directory,
      "/tmp/clips",
    );
  });

  it("opens S3 for an http(s) endpoint with bucket and keys", async () => {
    const storage = openClipStorage({
      endpoint: "http://minio:9000",
      bucket: "facetracker-clips",
      access_key: "facetracker",
      secret_key: "s3cret-value",
      region: "eu-west-1",
      url_expiration_s: 600,
    });
    assert.ok(storage instanceof S3ClipStorage);
    assert.equal(storage.urlExpirationS, 600);
    assert.equal(storage.describe(), 'S3 http://minio:9000 bucket "facetracker-clips" (region eu-west-1)');
    assert.doesNotMatch(storage.describe(), /s3cret/);
    await storage.close?.();
  });

  it("says what an S3 endpoint lacks", () => {
    configError(
      { endpoint: "http://minio:9000" },
      /S3 endpoint http:\/\/minio:9000 needs "bucket", "access_key", "secret_key"/,
    );
    configError(
      { endpoint: "https://s3.example.com", bucket: "b-1", access_key: "k" },
      /needs "secret_key"$/,
    );
    configError(
      { endpoint: "http://minio:9000", bucket: "", access_key: "k", secret_key: "s" },
      /needs "bucket"$/,
    );
    configError(
      { endpoint: "http://minio:9000", bucket: "Bad_Bucket", access_key: "k", secret_key: "s" },
      /bucket "Bad_Bucket" is not a valid bucket name/,
    );
    configError({ endpoint: "http://user:pw@minio:9000" }, /S3 endpoint http:\/\/\*\*\*@minio:9000 needs/);
  });

  it("refuses other mistakes clearly", () => {
    configError({}, /"endpoint" is required/);
    configError({ endpoint: "  " }, /"endpoint" is required/);
    configError({ endpoint: 42 }, /"endpoint" must be a string/);
    configError({ endpoint: "minio:9000", bucket: "b" }, /looks like host:port; write http:\/\/minio:9000/);
    configError({ endpoint: "s3://bucket/clips" }, /unsupported scheme "s3:\/\/"/);
    configError({ endpoint: "/data/clips", bucket: "clips" }, /is a local directory, but "bucket" is for S3/);
    configError(
      { endpoint: "/data/clips", access_key: "k", secret_key: "s" },
      /"access_key", "secret_key" are for S3/,
    );
    configError({ endpoint: "/data/clips", acess_key: "typo" }, /unknown setting "acess_key"/);
    configError(
      { endpoint: "http://minio:9000", bucket: "b-1", access_key: "k", secret_key: "s", url_expiration_s: 0 },
      /"url_expiration_s" must be a whole number of seconds from 1 to 604800/,
    );
    configError(
      {
        endpoint: "http://minio:9000",
        bucket: "b-1",
        access_key: "k",
        secret_key: "s",
        url_expiration_s: 1e9,
      },
      /url_expiration_s/,
    );
    configError(null, /must be an object/);
  });

  it("takes public_endpoint for S3 presigned URLs, and refuses it for a directory or without http(s)", async () => {
    const s3 = { endpoint: "http://minio:9000", bucket: "b-1", access_key: "k", secret_key: "s" };
    const storage = openClipStorage({ ...s3, public_endpoint: "https://files.example.org" });
    assert.ok(storage instanceof S3ClipStorage);
    assert.equal(storage.publicEndpoint, "https://files.example.org");
    assert.equal(new URL(await storage.url("door/2026-12-07/a.mp4")).origin, "https://files.example.org");
    await storage.close?.();
    configError(
      { ...s3, public_endpoint: "files.example.org" },
      /"public_endpoint" must be an http:\/\/ or https:\/\/ URL/,
    );
    configError(
      { endpoint: "/data/clips", public_endpoint: "https://files.example.org" },
      /is a local directory, but "public_endpoint" is for S3/,
    );
  });
});
