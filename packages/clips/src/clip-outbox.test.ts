import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type S3TestServer, startS3Server } from "@facetracker/testing/clips";
import { ClipOutbox, type ClipOutboxErrorInfo } from "./clip-outbox.ts";
import type { ClipStorage } from "./clip-storage.ts";
import { LocalClipStorage } from "./local-clip-storage.ts";
import type { ClipOutboxEntry, ClipOutboxRequest } from "./outbox-entry.ts";
import { S3ClipStorage } from "./s3-clip-storage.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "clips-outbox-test-"));
  roots.push(root);
  return root;
}

/** Resolves when `condition` holds, re-checked on each notify() (events, not time). */
class Signal {
  #waiters: { condition: () => boolean; resolve: () => void }[] = [];
  notify(): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.condition()) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ condition, resolve }));
  }
}

/** Records what an outbox reports. */
function recorder() {
  const stored: { entry: ClipOutboxEntry; url: string }[] = [];
  const errors: { entry: ClipOutboxEntry | undefined; error: Error; info: ClipOutboxErrorInfo }[] = [];
  const signal = new Signal();
  return {
    stored,
    errors,
    signal,
    onStored(entry: ClipOutboxEntry, url: string) {
      stored.push({ entry, url });
      signal.notify();
    },
    onError(entry: ClipOutboxEntry | undefined, error: Error, info: ClipOutboxErrorInfo) {
      errors.push({ entry, error, info });
      signal.notify();
    },
  };
}

/** A storage wrapper counting successful puts per key. */
function counting(storage: ClipStorage): ClipStorage & { puts: Map<string, number>; order: string[] } {
  const puts = new Map<string, number>();
  const order: string[] = [];
  return {
    puts,
    order,
    async put(key, file, contentType) {
      await storage.put(key, file, contentType);
      puts.set(key, (puts.get(key) ?? 0) + 1);
      order.push(key);
    },
    url: (key) => storage.url(key),
    get: (key) => storage.get(key),
    download: (key, dest) => storage.download(key, dest),
    list: (prefix) => storage.list(prefix),
    delete: (key) => storage.delete(key),
    describe: () => storage.describe(),
  };
}

/** Writes a clip's three files under `dir` and returns the enqueue request (and the bytes). */
async function makeClip(dir: string, key: string, meta: Record<string, unknown> = {}) {
  await mkdir(dir, { recursive: true });
  const video = randomBytes(30_000);
  const results = Buffer.from(JSON.stringify({ key, frames: [{ i: 0, faces: [] }] }));
  const annotated = randomBytes(20_000);
  const name = key.replaceAll("/", "_");
  const paths = {
    video: join(dir, `${name}.mp4`),
    results: join(dir, `${name}.json`),
    annotated: join(dir, `${name}.ann.mp4`),
  };
  await writeFile(paths.video, video);
  await writeFile(paths.results, results);
  await writeFile(paths.annotated, annotated);
  const request: ClipOutboxRequest = {
    key,
    files: [
      { suffix: ".mp4", path: paths.video, contentType: "video/mp4" },
      { suffix: ".json", path: paths.results, contentType: "application/json" },
      { suffix: ".annotated.mp4", path: paths.annotated, contentType: "video/mp4" },
    ],
    meta,
  };
  return { request, video, results, annotated, paths };
}

async function spoolEntries(spoolDir: string): Promise<string[]> {
  return readdir(join(spoolDir, "pending"));
}

const fastRetry = { initialMs: 20, maxMs: 100 };

// Timeouts only detect a hang (the outbox retries forever); nothing asserts on time.
describe("ClipOutbox on a local directory", { timeout: 60_000 }, () => {
  it("moves the files into the spool, stores them (the .mp4 last), reports once and empties the spool", async () => {
    const root = await tempDir();
    const storage = counting(new LocalClipStorage(join(root, "clips")));
    const events = recorder();
    const outbox = await ClipOutbox.open({
      spoolDir: join(root, "spool"),
      storage,
      retry: fastRetry,
      ...events,
    });
    const clip = await makeClip(join(root, "rec"), "cam1/2024-05-17/080309-a1", {
      alertId: "a1",
      camera: "cam1",
    });

    const entry = await outbox.enqueue(clip.request);
    assert.equal(entry.key, "cam1/2024-05-17/080309-a1");
    assert.equal(entry.primaryKey, "cam1/2024-05-17/080309-a1.mp4");
    await assert.rejects(stat(clip.paths.video), { code: "ENOENT" }, "the source was moved");
    await events.signal.until(() => events.stored.length === 1);
    await outbox.close();

    assert.equal(events.stored.length, 1);
    const [reported] = events.stored;
    assert.deepEqual(reported?.entry.meta, { alertId: "a1", camera: "cam1" });
    assert.equal(reported?.url, await storage.url("cam1/2024-05-17/080309-a1.mp4"));
    assert.deepEqual(storage.order, [
      "cam1/2024-05-17/080309-a1.json",
      "cam1/2024-05-17/080309-a1.annotated.mp4",
      "cam1/2024-05-17/080309-a1.mp4",
    ]);
    assert.deepEqual(Buffer.from(await storage.get("cam1/2024-05-17/080309-a1.mp4")), clip.video);
    assert.deepEqual(Buffer.from(await storage.get("cam1/2024-05-17/080309-a1.json")), clip.results);
    assert.deepEqual(
      Buffer.from(await storage.get("cam1/2024-05-17/080309-a1.annotated.mp4")),
      clip.annotated,
    );
    assert.deepEqual(await spoolEntries(join(root, "spool")), []);
    assert.deepEqual(outbox.pending(), []);
    assert.deepEqual(events.errors, []);
  });

  it("keepSource copies; bad requests are refused without touching the files", async () => {
    const root = await tempDir();
    const events = recorder();
    const outbox = await ClipOutbox.open({
      spoolDir: join(root, "spool"),
      storage: new LocalClipStorage(join(root, "clips")),
      retry: fastRetry,
      ...events,
    });
    try {
      const clip = await makeClip(join(root, "rec"), "cam1/d/1-a");
      await outbox.enqueue({ ...clip.request, keepSource: true });
      await events.signal.until(() => events.stored.length === 1);
      assert.deepEqual(await readFile(clip.paths.video), clip.video, "the source stays");

      const other = await makeClip(join(root, "rec"), "cam1/d/2-b");
      await assert.rejects(outbox.enqueue({ ...other.request, key: "../escape" }), /invalid clip key/);
      await assert.rejects(
        outbox.enqueue({
          ...other.request,
          files: [
            ...other.request.files,
            { suffix: ".mp4", path: other.paths.video, contentType: "video/mp4" },
          ],
        }),
        /suffix ".mp4" given twice/,
      );
      await assert.rejects(
        outbox.enqueue({
          ...other.request,
          files: [{ suffix: ".mp4", path: join(root, "nope.mp4"), contentType: "video/mp4" }],
        }),
        /cannot read its ".mp4" file .*nope\.mp4/,
      );
      await assert.rejects(
        outbox.enqueue({ ...other.request, meta: { n: 1n } }),
        /meta is not JSON-serializable/,
      );
      assert.deepEqual(await readFile(other.paths.video), other.video);
      assert.deepEqual(await readdir(join(root, "spool", "incoming")), []);
      assert.deepEqual(await spoolEntries(join(root, "spool")), []);
    } finally {
      await outbox.close();
    }
    await assert.rejects(
      outbox.enqueue((await makeClip(join(root, "rec"), "cam1/d/3-c")).request),
      /the clip outbox is closed/,
    );
  });

  it("refuses a second outbox on the same spool while the first is open", async () => {
    const root = await tempDir();
    const options = {
      spoolDir: join(root, "spool"),
      storage: new LocalClipStorage(join(root, "clips")),
      onStored() {},
    };
    const first = await ClipOutbox.open(options);
    await assert.rejects(ClipOutbox.open(options), /already open in this process/);
    await first.close();
    // Another live process holds it: refused, naming the process.
    await writeFile(join(root, "spool", "lock"), `${process.ppid}\n`);
    await assert.rejects(ClipOutbox.open(options), new RegExp(`in use by process ${process.ppid}`));
    // Its process is gone: the lock is stale and taken over.
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    await writeFile(join(root, "spool", "lock"), `${child.pid}\n`);
    const second = await ClipOutbox.open(options);
    assert.equal(await readFile(join(root, "spool", "lock"), "utf8"), `${process.pid}\n`);
    await second.close();
  });

  it("a throwing onStored is called again later, without uploading again", async () => {
    const root = await tempDir();
    const storage = counting(new LocalClipStorage(join(root, "clips")));
    const events = recorder();
    let calls = 0;
    const outbox = await ClipOutbox.open({
      spoolDir: join(root, "spool"),
      storage,
      retry: fastRetry,
      onError: events.onError,
      onStored(entry, url) {
        calls++;
        if (calls === 1) throw new Error("bus down");
        events.onStored(entry, url);
      },
    });
    await outbox.enqueue((await makeClip(join(root, "rec"), "cam1/d/1-a")).request);
    await events.signal.until(() => events.stored.length === 1);
    await outbox.close();
    assert.equal(calls, 2);
    assert.equal(events.errors.length, 1);
    assert.match(events.errors[0]?.error.message ?? "", /bus down/);
    assert.deepEqual([...storage.puts.values()], [1, 1, 1]);
  });

  it("reports once even when removing the entry from the spool fails at first", async () => {
    const root = await tempDir();
    const spoolDir = join(root, "spool");
    const events = recorder();
    const outbox = await ClipOutbox.open({
      spoolDir,
      storage: new LocalClipStorage(join(root, "clips")),
      retry: fastRetry,
      ...events,
    });
    // Break the spool's done/ directory: the removal (rename into it) fails until it is back.
    await rm(join(spoolDir, "done"), { recursive: true });
    await writeFile(join(spoolDir, "done"), "not a directory");
    await outbox.enqueue((await makeClip(join(root, "rec"), "cam1/d/1-a")).request);
    await events.signal.until(() => events.errors.length >= 2);
    assert.match(events.errors[0]?.error.message ?? "", /is stored but cannot be removed from the spool/);
    await rm(join(spoolDir, "done"));
    await mkdir(join(spoolDir, "done"));
    await outbox.whenIdle();
    await outbox.close();
    assert.deepEqual(
      events.stored.map((s) => s.entry.key),
      ["cam1/d/1-a"],
      "reported once though it stayed in the spool for several attempts",
    );
    assert.deepEqual(await spoolEntries(spoolDir), []);
  });

  it("sets aside an entry whose spooled file is gone, and goes on with the others", async () => {
    const root = await tempDir();
    const spoolDir = join(root, "spool");
    const events = recorder();
    const storage = new LocalClipStorage(join(root, "clips"));
    // Spool two clips with a storage that cannot take them yet (its root is a file), then damage one.
    await writeFile(join(root, "clips"), "in the way");
    const first = await ClipOutbox.open({ spoolDir, storage, retry: fastRetry, ...events });
    const damaged = await first.enqueue((await makeClip(join(root, "rec"), "cam1/d/1-a")).request);
    await first.enqueue((await makeClip(join(root, "rec"), "cam1/d/2-b")).request);
    await events.signal.until(() => events.errors.length >= 1);
    await first.close();
    await rm(damaged.files[0]?.path as string);
    await rm(join(root, "clips"));

    const again = recorder();
    const second = await ClipOutbox.open({ spoolDir, storage, retry: fastRetry, ...again });
    await again.signal.until(() => again.stored.length === 1 && again.errors.length === 1);
    await second.close();
    assert.equal(again.stored[0]?.entry.key, "cam1/d/2-b");
    assert.match(again.errors[0]?.error.message ?? "", /clip cam1\/d\/1-a: its spooled file .* is missing/);
    assert.equal(again.errors[0]?.info.quarantinedTo, join(spoolDir, "failed", damaged.id));
    assert.deepEqual(await readdir(join(spoolDir, "failed")), [damaged.id], "kept for a human");
    assert.deepEqual(await spoolEntries(spoolDir), []);
  });
});

describe("ClipOutbox on S3 (s3rver)", { timeout: 60_000 }, () => {
  let server: S3TestServer;
  const storages: S3ClipStorage[] = [];
  before(async () => {
    server = await startS3Server();
  });
  after(async () => {
    for (const storage of storages) await storage.close();
    await server?.close();
  });
  function s3Storage() {
    const storage = new S3ClipStorage({
      endpoint: server.endpoint,
      bucket: server.bucket,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
    });
    storages.push(storage);
    return counting(storage);
  }

  it("S3 down at enqueue time, up later: the clip arrives exactly once", async () => {
    const root = await tempDir();
    const storage = s3Storage();
    const events = recorder();
    await server.stop();
    const outbox = await ClipOutbox.open({
      spoolDir: join(root, "spool"),
      storage,
      retry: fastRetry,
      ...events,
    });
    try {
      const clip = await makeClip(join(root, "rec"), "cam1/2024-05-17/080309-down1", { alertId: "down1" });
      await outbox.enqueue(clip.request);
      await events.signal.until(() => events.errors.length >= 2);
      for (const { error, entry, info } of events.errors) {
        assert.match(error.message, /is unreachable \(connection refused\)/);
        assert.equal(entry?.key, "cam1/2024-05-17/080309-down1");
        assert.ok(
          info.retryInMs !== undefined &&
            info.retryInMs >= fastRetry.initialMs &&
            info.retryInMs <= fastRetry.maxMs,
        );
      }
      assert.equal(events.stored.length, 0);
      assert.equal(outbox.pending().length, 1, "kept in the spool while S3 is down");

      await server.start();
      await events.signal.until(() => events.stored.length === 1);
      await outbox.close();
      assert.equal(events.stored.length, 1);
      assert.deepEqual([...storage.puts.entries()].sort(), [
        ["cam1/2024-05-17/080309-down1.annotated.mp4", 1],
        ["cam1/2024-05-17/080309-down1.json", 1],
        ["cam1/2024-05-17/080309-down1.mp4", 1],
      ]);
      const response = await fetch(events.stored[0]?.url as string);
      assert.equal(response.status, 200);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(clip.video));
      assert.deepEqual(await spoolEntries(join(root, "spool")), []);
    } finally {
      await outbox.close();
      if (!server.running) await server.start();
    }
  });

  it("across a restart: spooled while S3 is down, uploaded once by the next outbox on the same spool", async () => {
    const root = await tempDir();
    const spoolDir = join(root, "spool");
    await server.stop();
    const before = recorder();
    const firstStorage = s3Storage();
    const first = await ClipOutbox.open({ spoolDir, storage: firstStorage, retry: fastRetry, ...before });
    const clip = await makeClip(join(root, "rec"), "cam2/2024-05-17/120000-restart1", {
      alertId: "restart1",
    });
    const entry = await first.enqueue(clip.request);
    await before.signal.until(() => before.errors.length >= 1);
    await first.close();
    assert.deepEqual(await spoolEntries(spoolDir), [entry.id], "the entry survives the close");

    await server.start();
    const afterRestart = recorder();
    const secondStorage = s3Storage();
    const second = await ClipOutbox.open({
      spoolDir,
      storage: secondStorage,
      retry: fastRetry,
      ...afterRestart,
    });
    assert.deepEqual(
      second.pending().map((e) => e.key),
      ["cam2/2024-05-17/120000-restart1"],
    );
    await afterRestart.signal.until(() => afterRestart.stored.length === 1);
    await second.close();

    assert.equal(before.stored.length, 0);
    assert.equal(afterRestart.stored.length, 1);
    assert.equal(afterRestart.stored[0]?.entry.id, entry.id);
    assert.deepEqual(afterRestart.stored[0]?.entry.meta, { alertId: "restart1" });
    assert.deepEqual([...firstStorage.puts.values()], []);
    assert.deepEqual([...secondStorage.puts.values()], [1, 1, 1]);
    const listed = await secondStorage.list("cam2/2024-05-17/120000-restart1");
    assert.deepEqual(
      listed.map((o) => [o.key, o.size]),
      [
        ["cam2/2024-05-17/120000-restart1.annotated.mp4", clip.annotated.length],
        ["cam2/2024-05-17/120000-restart1.json", clip.results.length],
        ["cam2/2024-05-17/120000-restart1.mp4", clip.video.length],
      ],
    );
    assert.deepEqual(await spoolEntries(spoolDir), []);
  });

  it("after a crash between upload and removal, the next outbox overwrites the same keys and reports once", async () => {
    const root = await tempDir();
    const spoolDir = join(root, "spool");
    await server.stop();
    const first = await ClipOutbox.open({ spoolDir, storage: s3Storage(), retry: fastRetry, ...recorder() });
    const clip = await makeClip(join(root, "rec"), "cam3/2024-05-17/130000-crash1");
    const entry = await first.enqueue(clip.request);
    await first.close();
    await server.start();
    // What the crashed process had done: every file uploaded (here, stale bytes), the entry still spooled.
    const storage = s3Storage();
    await writeFile(join(root, "stale"), "stale");
    for (const file of entry.files) await storage.put(file.key, join(root, "stale"), file.contentType);

    const events = recorder();
    const recovering = s3Storage();
    const second = await ClipOutbox.open({ spoolDir, storage: recovering, retry: fastRetry, ...events });
    await events.signal.until(() => events.stored.length === 1);
    await second.close();
    assert.equal(events.stored.length, 1);
    assert.deepEqual([...recovering.puts.values()], [1, 1, 1]);
    assert.ok(Buffer.from(await recovering.get("cam3/2024-05-17/130000-crash1.mp4")).equals(clip.video));
    assert.ok(Buffer.from(await recovering.get("cam3/2024-05-17/130000-crash1.json")).equals(clip.results));
    assert.equal((await recovering.list("cam3/")).length, 3, "no duplicate objects");
  });
});
