/**
 * The embedded gallery shared by real processes (node children): changes made in one are seen by the
 * other, names stay unique, and a writer killed in the middle of an enroll leaves all of it or none.
 */

import assert from "node:assert/strict";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import type { Readable, Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector } from "@facetracker/testing/gallery";
import { EmbeddedGallery } from "./embedded-gallery.ts";
import { GalleryError } from "./types.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-gallery-processes-"));
  roots.push(root);
  return join(root, "gallery");
}

const D = 16;
const moduleUrl = pathToFileURL(join(import.meta.dirname, "embedded-gallery.ts")).href;

/**
 * The child: opens the gallery, then runs one Gallery method call per stdin line (JSON {method, args};
 * Float32Arrays as {f32: [...]}) and answers each with one stdout line ({ok} or {error: code}).
 */
const SERVER = `
  const { EmbeddedGallery } = await import(process.argv[1]);
  const { createInterface } = await import("node:readline");
  const gallery = await EmbeddedGallery.open(process.argv[2], JSON.parse(process.argv[3]));
  const reply = (value) => process.stdout.write(JSON.stringify(value) + "\\n");
  reply({ ready: process.pid });
  for await (const line of createInterface({ input: process.stdin })) {
    const { method, args } = JSON.parse(line, (_, v) => (v && Array.isArray(v.f32) ? Float32Array.from(v.f32) : v));
    try {
      reply({ ok: (await gallery[method](...args)) ?? null });
    } catch (error) {
      reply({ error: error.code ?? String(error), message: error.message });
    }
  }
  await gallery.close();`;

/** A gallery opened in another process, driven one call at a time. */
class GalleryProcess {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #replies: AsyncIterator<string>;

  private constructor(child: ChildProcessByStdio<Writable, Readable, null>) {
    this.#child = child;
    this.#replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(dir: string, options: object): Promise<GalleryProcess> {
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", SERVER, moduleUrl, dir, JSON.stringify(options)],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const process_ = new GalleryProcess(child);
    const first = await process_.#next();
    assert.ok(typeof first.ready === "number", `the child did not start: ${JSON.stringify(first)}`);
    return process_;
  }

  async #next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.#replies.next();
    if (done) throw new Error("the child process ended");
    return JSON.parse(value) as Record<string, unknown>;
  }

  /** Sends the call without waiting for its answer (see answer()). */
  send(method: string, ...args: unknown[]): void {
    const line = JSON.stringify({ method, args }, (_, v) =>
      v instanceof Float32Array ? { f32: [...v] } : v,
    );
    this.#child.stdin.write(`${line}\n`);
  }

  /** The answer to the oldest call sent and not answered yet: its result, or a GalleryError with its code. */
  async answer<T>(): Promise<T> {
    const reply = await this.#next();
    if ("error" in reply) throw new GalleryError(reply.error as "IO", String(reply.message));
    return reply.ok as T;
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    this.send(method, ...args);
    return this.answer<T>();
  }

  async stop(): Promise<void> {
    this.#child.stdin.end();
    if (this.#child.exitCode === null && this.#child.signalCode === null) await once(this.#child, "exit");
  }
}

describe("EmbeddedGallery shared by several processes", () => {
  it("a change made in one process is seen by the other's reads and searches, without reopening", async () => {
    const dir = await tempDir();
    const random = seededRandom(21);
    const other = await GalleryProcess.start(dir, { dimension: D });
    const here = await EmbeddedGallery.open(dir, { dimension: D });
    const reader = await EmbeddedGallery.open(dir, { dimension: D, readOnly: true });
    try {
      const ada = randomUnitVector(D, random);
      const enrolled = await other.call<{ identity: { id: string } }>("enroll", "Ada", [{ vector: ada }], {
        team: "a",
      });
      for (const g of [here, reader]) {
        assert.deepEqual(
          (await g.list()).map((i) => [i.id, i.name, i.attributes, i.embeddingCount]),
          [[enrolled.identity.id, "Ada", { team: "a" }, 1]],
        );
        const [hit] = await g.search(ada, { k: 1 });
        assert.equal(hit?.name, "Ada");
        assert.ok(Math.abs((hit?.similarity as number) - 1) < 1e-5);
      }

      const bob = randomUnitVector(D, random);
      const mine = await here.enroll("Bob", [{ vector: bob }]);
      assert.deepEqual(
        (await other.call<{ name: string }[]>("list")).map((i) => i.name),
        ["Ada", "Bob"],
      );
      assert.equal(
        (await other.call<{ identityId: string }[]>("search", bob, { k: 1 }))[0]?.identityId,
        mine.identity.id,
      );

      // The same name enrolled from the other process adds to the same identity.
      const merged = await other.call<{ identity: { id: string; embeddingCount: number } }>("enroll", "Bob", [
        { vector: randomUnitVector(D, random) },
      ]);
      assert.equal(merged.identity.id, mine.identity.id);
      assert.equal((await here.get("Bob"))?.embeddingCount, 2);

      // A name the other process just took: NAME_TAKEN here (checked under the write lock, not in memory).
      await other.call("rename", "Ada", "Carol");
      await assert.rejects(
        here.rename("Bob", "Carol"),
        (e: unknown) => e instanceof GalleryError && e.code === "NAME_TAKEN",
      );
      await assert.rejects(
        other.call("rename", "Carol", "Bob"),
        (e: unknown) => e instanceof GalleryError && e.code === "NAME_TAKEN",
      );

      await here.deleteIdentity("Carol");
      assert.equal(await other.call("get", "Carol"), null);
      assert.deepEqual(await reader.search(ada, { k: 5, minSimilarity: 0.99 }), []);
    } finally {
      await other.stop();
      await here.close();
      await reader.close();
    }
  });

  it("two processes enrolling the same new name at once make one identity holding every embedding", async () => {
    const dir = await tempDir();
    const random = seededRandom(22);
    const other = await GalleryProcess.start(dir, { dimension: D });
    const here = await EmbeddedGallery.open(dir, { dimension: D });
    try {
      const rounds = 25;
      for (let i = 0; i < rounds; i++)
        other.send("enroll", "Shared", [{ vector: randomUnitVector(D, random) }]);
      const ids = new Set<string>();
      for (let i = 0; i < rounds; i++) {
        ids.add((await here.enroll("Shared", [{ vector: randomUnitVector(D, random) }])).identity.id);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      for (let i = 0; i < rounds; i++)
        ids.add((await other.answer<{ identity: { id: string } }>()).identity.id);
      assert.equal(ids.size, 1, "one identity");
      assert.deepEqual(
        (await here.list()).map((i) => [i.name, i.embeddingCount]),
        [["Shared", 2 * rounds]],
      );
      assert.equal(await other.call("size"), 2 * rounds);
    } finally {
      await other.stop();
      await here.close();
    }
  });

  it("a writer killed (SIGKILL) in the middle of an enroll leaves all of it or none", async () => {
    const dir = await tempDir();
    const perEnroll = 20;
    // Every insert into embeddings runs a slow query (a real one, in SQLite), so that an enroll's
    // transaction lasts long enough for the kill, sent when the child says it starts one, to land inside it.
    const setup = await EmbeddedGallery.open(dir, { dimension: D });
    await setup.close();
    const db = new DatabaseSync(join(dir, "gallery.sqlite"));
    db.exec(`CREATE TABLE slow (x INTEGER);
             INSERT INTO slow (x) SELECT value FROM json_each(json_array(${Array.from({ length: 300 }, (_, i) => i).join(",")}));
             CREATE TRIGGER slow_insert AFTER INSERT ON embeddings
             BEGIN SELECT count(*) FROM slow a, slow b WHERE a.x + b.x = NEW.seq % 7; END;`);
    db.close();

    const child = `
      const { EmbeddedGallery } = await import(process.argv[1]);
      const gallery = await EmbeddedGallery.open(process.argv[2], { dimension: ${D} });
      const jpeg = new Uint8Array(5000).fill(7); jpeg.set([0xff, 0xd8, 0xff]);
      for (let i = 0; ; i++) {
        const name = "r" + process.argv[3] + " n" + i;
        const embeddings = Array.from({ length: ${perEnroll} }, (_, j) => ({
          vector: Float32Array.from({ length: ${D} }, () => Math.random() - 0.5),
          source: name + " #" + j,
          thumbnail: jpeg,
        }));
        process.stdout.write("?" + name + "\\n");
        await gallery.enroll(name, embeddings, { round: process.argv[3] });
        process.stdout.write("+" + name + "\\n");
      }`;
    const acknowledged = new Set<string>();
    for (const [round, killAt] of [0, 3, 1, 5].entries()) {
      const proc = spawn(
        process.execPath,
        ["--input-type=module", "-e", child, moduleUrl, dir, String(round)],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let started = 0;
      let killedDuring: string | undefined;
      for await (const line of createInterface({ input: proc.stdout })) {
        if (line[0] === "+") acknowledged.add(line.slice(1));
        else if (line[0] === "?" && started++ === killAt) {
          proc.kill("SIGKILL");
          killedDuring = line.slice(1);
        }
      }
      if (proc.exitCode === null && proc.signalCode === null) await once(proc, "exit");
      assert.equal(proc.signalCode, "SIGKILL", `round ${round}: the child ended on its own`);
      assert.ok(killedDuring);

      const g = await EmbeddedGallery.open(dir, { dimension: D });
      try {
        const names = new Set<string>();
        for (const identity of await g.list()) {
          names.add(identity.name);
          const embeddings = await g.embeddings(identity.id);
          assert.equal(embeddings.length, perEnroll, `round ${round}: ${identity.name} is incomplete`);
          assert.deepEqual(
            embeddings.map((e) => e.source),
            Array.from({ length: perEnroll }, (_, j) => `${identity.name} #${j}`),
          );
          for (const e of embeddings) assert.equal((await g.thumbnail(e.id))?.length, 5000);
        }
        for (const name of acknowledged) assert.ok(names.has(name), `round ${round}: ${name} was lost`);
        const extra = [...names].filter((n) => !acknowledged.has(n));
        assert.ok(
          extra.length === 0 || (extra.length === 1 && extra[0] === killedDuring),
          `round ${round}: unexpected ${extra.join(", ")}`,
        );
        for (const name of extra) acknowledged.add(name);
        assert.equal(await g.size(), acknowledged.size * perEnroll);
      } finally {
        await g.close();
      }
      const check = new DatabaseSync(join(dir, "gallery.sqlite"), { readOnly: true });
      assert.deepEqual({ ...check.prepare("PRAGMA integrity_check").get() }, { integrity_check: "ok" });
      assert.deepEqual(check.prepare("PRAGMA foreign_key_check").all(), []);
      check.close();
    }
  });
});
