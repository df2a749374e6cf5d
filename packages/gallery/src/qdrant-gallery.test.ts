import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { FakeQdrantServer, randomUnitVector, runGalleryContract } from "@facetracker/testing/gallery";
import { openGallery } from "./index.ts";
import { QdrantGallery } from "./qdrant-gallery.ts";
import { GalleryError, type GalleryErrorCode } from "./types.ts";

const QDRANT_URL = process.env.QDRANT_URL;
const QDRANT_API_KEY = process.env.QDRANT_API_KEY;

async function expectCode(promise: Promise<unknown>, code: GalleryErrorCode, ...patterns: RegExp[]) {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof GalleryError, `expected GalleryError(${code}), got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}

function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** A fresh pair of collections per case, dropped afterwards. */
function qdrantSubject(url: () => Promise<string>, apiKey?: string) {
  return async () => {
    const options = {
      url: await url(),
      ...(apiKey ? { apiKey } : {}),
      collection: `ft_test_${randomUUID().slice(0, 8)}`,
      dimension: 512,
    };
    const gallery = await QdrantGallery.open(options);
    return {
      gallery,
      reopen: () => QdrantGallery.open(options),
      cleanup: () => gallery.drop(),
    };
  };
}

// Against a real server when QDRANT_URL is set (e.g. QDRANT_URL=http://localhost:6333).
runGalleryContract(
  "QdrantGallery contract (QDRANT_URL)",
  qdrantSubject(async () => QDRANT_URL as string, QDRANT_API_KEY),
  QDRANT_URL ? {} : { skip: "QDRANT_URL not set: Qdrant contract tests skipped" },
);

// Always: against an in-memory imitation of Qdrant's REST API, through the real client library.
let fake: Promise<FakeQdrantServer> | undefined;
const fakeServer = () => {
  fake ??= FakeQdrantServer.start();
  return fake;
};
after(async () => {
  await (await fake)?.stop();
});

runGalleryContract(
  "QdrantGallery contract (in-memory fake of the Qdrant REST API)",
  qdrantSubject(async () => (await fakeServer()).url),
);

describe("QdrantGallery", () => {
  it("reports an unreachable server as IO naming the URL", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const url = `http://127.0.0.1:${port}`;
    await expectCode(QdrantGallery.open({ url }), "IO", literal(url), /ECONNREFUSED/);
    await expectCode(openGallery({ backend: "qdrant", url }), "IO", literal(url));
  });

  it("reports server errors as IO with the HTTP status and Qdrant's message", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: { error: "Service internal error: disk full" }, time: 0 }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expectCode(QdrantGallery.open({ url }), "IO", literal(url), /HTTP 500/, /disk full/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("rejects invalid options (INVALID)", async () => {
    await expectCode(QdrantGallery.open({ url: "localhost:6333" }), "INVALID", /http/);
    await expectCode(
      QdrantGallery.open({ url: "http://localhost:6333", collection: "a/b" }),
      "INVALID",
      /a\/b/,
    );
    await expectCode(
      QdrantGallery.open({ url: "http://localhost:6333", dimension: -1 }),
      "INVALID",
      /dimension/,
    );
  });

  it("creates its collections idempotently and checks their dimension", async () => {
    const server = await fakeServer();
    const collection = `ft_test_${randomUUID().slice(0, 8)}`;
    const first = await QdrantGallery.open({ url: server.url, collection, dimension: 16 });
    assert.deepEqual(
      server
        .collectionNames()
        .filter((n) => n.startsWith(collection))
        .sort(),
      [collection, `${collection}_identities`, `${collection}_negatives`],
    );
    const random = seededRandom(1);
    await first.enroll("A", [{ vector: randomUnitVector(16, random) }]);
    const second = await QdrantGallery.open({ url: server.url, collection, dimension: 16 });
    assert.equal(await second.size(), 1, "opening again keeps the data");
    await expectCode(
      QdrantGallery.open({ url: server.url, collection, dimension: 32 }),
      "INVALID",
      new RegExp(collection),
      /size 16/,
      /32/,
    );
    await second.close();
    await first.drop();
    assert.deepEqual(
      server.collectionNames().filter((n) => n.startsWith(collection)),
      [],
    );
  });

  it("stores thumbnails as base64 and keeps them out of listings", async () => {
    const server = await fakeServer();
    const collection = `ft_test_${randomUUID().slice(0, 8)}`;
    const g = await openGallery({ backend: "qdrant", url: server.url, collection, dimension: 8 });
    try {
      const random = seededRandom(2);
      const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
      const { embeddingIds } = await g.enroll("A", [
        { vector: randomUnitVector(8, random), thumbnail: jpeg },
      ]);
      const [info] = await g.embeddings("A");
      assert.deepEqual(Object.keys(info ?? {}).sort(), ["createdAt", "hasThumbnail", "id", "identityId"]);
      assert.deepEqual(await g.thumbnail(embeddingIds[0] as string), jpeg);
    } finally {
      await (g as QdrantGallery).drop();
    }
  });
});
