import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isProcessAlive } from "@facetracker/infra";
import { connectBus } from "./connection.ts";
import { NatsStoreLockedError, startNatsServer } from "./nats-server-child.ts";

describe("nats-server child (real nats-server)", () => {
  it("with lockFile, the server itself holds the store's lock: a second server is refused until the first is SIGKILLed", async () => {
    const storeDir = await mkdtemp(join(tmpdir(), "ft-nats-lock-"));
    const lockFile = join(storeDir, "nats-server.lock");
    const first = await startNatsServer({ storeDir, lockFile });
    try {
      const refused = await startNatsServer({ storeDir, lockFile }).then(
        () => assert.fail("a second server started on a locked store"),
        (error: unknown) => error,
      );
      assert.ok(refused instanceof NatsStoreLockedError, String(refused));
      assert.equal(refused.lockFile, lockFile);
      assert.match(
        refused.message,
        /is locked by another process \(a nats-server already runs on this store\)/,
      );

      const pid = first.pid;
      process.kill(pid, "SIGKILL");
      const exit = await first.exited;
      assert.equal(exit.signal, "SIGKILL");
      assert.equal(isProcessAlive(pid), false);

      // The kernel released the lock with the process: the server comes back on the same port and store.
      await first.restart();
      assert.notEqual(first.pid, pid);
      const bus = await connectBus({ servers: first.url });
      await bus.close();
      const again = await startNatsServer({ storeDir, lockFile }).catch((error: unknown) => error);
      assert.ok(again instanceof NatsStoreLockedError, "the restarted server holds the lock again");
    } finally {
      await first.stop();
      await rm(storeDir, { recursive: true, force: true });
    }
  });
});
