import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PidLock, PidLockError } from "./pid-lock.ts";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function lockPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ft-pid-lock-"));
  dirs.push(dir);
  return join(dir, "lock");
}

async function refusal(promise: Promise<unknown>): Promise<PidLockError> {
  const error = await promise.then(
    () => assert.fail("the lock was taken"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof PidLockError, String(error));
  return error;
}

describe("PidLock", () => {
  it("writes this process's pid, refuses a second acquire here, and removes the file on release", async () => {
    const path = await lockPath();
    const lock = await PidLock.acquire(path);
    assert.equal(await readFile(path, "utf8"), `${process.pid}\n`);
    const error = await refusal(PidLock.acquire(path));
    assert.equal(error.reason, "held");
    assert.equal(error.owner, process.pid);
    assert.equal(error.heldHere, true);
    await lock.release();
    await lock.release();
    await assert.rejects(readFile(path), { code: "ENOENT" });
    await (await PidLock.acquire(path)).release();
  });

  it("refuses two concurrent acquires in this process: exactly one wins", async () => {
    const path = await lockPath();
    const results = await Promise.allSettled([PidLock.acquire(path), PidLock.acquire(path)]);
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    await (won[0] as PromiseFulfilledResult<PidLock>).value.release();
  });

  it("refuses a live owner, naming it, and takes over once its process is gone", async () => {
    const path = await lockPath();
    await writeFile(path, `${process.ppid}\n`);
    const error = await refusal(PidLock.acquire(path));
    assert.equal(error.owner, process.ppid);
    assert.equal(error.heldHere, false);
    assert.match(error.message, new RegExp(`held by process ${process.ppid}`));
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    await writeFile(path, `${child.pid}\n`);
    const lock = await PidLock.acquire(path);
    assert.equal(await readFile(path, "utf8"), `${process.pid}\n`);
    await lock.release();
  });

  it("takes over an empty or garbage lock, and one naming this pid that is not held here", async () => {
    const path = await lockPath();
    for (const content of ["", "not a pid", "0\n", `${process.pid}\n`]) {
      await writeFile(path, content);
      const lock = await PidLock.acquire(path);
      assert.equal(await readFile(path, "utf8"), `${process.pid}\n`);
      await lock.release();
    }
  });

  it("release leaves a lock file that another process has taken over", async () => {
    const path = await lockPath();
    const lock = await PidLock.acquire(path);
    await writeFile(path, `${process.ppid}\n`);
    await lock.release();
    assert.equal(await readFile(path, "utf8"), `${process.ppid}\n`);
  });
});
