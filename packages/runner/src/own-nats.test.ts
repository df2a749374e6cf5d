import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type BusStatus,
  connectBus,
  ensureStreams,
  NatsStoreLockedError,
  startNatsServer,
} from "@facetracker/bus";
import { isProcessAlive } from "@facetracker/infra";
import { waitFor } from "@facetracker/testing";
import { natsServersOn, SERVER_LOCK } from "./nats-store.ts";
import { NatsStoreInUseError, type OwnNats, startOwnNats } from "./own-nats.ts";
import type { PipelineLogEntry } from "./pipeline-log.ts";

const ownNatsModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "own-nats.ts");
const temporary: string[] = [];

async function store(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ft-own-nats-"));
  temporary.push(dir);
  return path.join(dir, "nats");
}

function collect(): { lines: string[]; log: (entry: PipelineLogEntry) => void; text: () => string } {
  const lines: string[] = [];
  return {
    lines,
    log: ({ level, message }) => lines.push(`${level}: ${message}`),
    text: () => lines.join("\n"),
  };
}

/** Another process (as another `up` would) that runs startOwnNats on `storeDir`; resolves once it holds it. */
async function holderProcess(storeDir: string): Promise<{ child: ChildProcess; natsPid: number }> {
  const code = `const { startOwnNats } = await import(${JSON.stringify(ownNatsModule)});
const nats = await startOwnNats(${JSON.stringify(storeDir)}, () => {});
console.log("holding " + nats.pid);
setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  await waitFor(
    () => /holding \d+/.test(out) || child.exitCode !== null,
    "the other process to start its nats-server",
  );
  const natsPid = Number(/holding (\d+)/.exec(out)?.[1]);
  assert.ok(natsPid > 0, `the other process started its nats-server:\n${out}`);
  return { child, natsPid };
}

after(async () => {
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

describe("the pipeline's own nats-server (real nats-server processes)", () => {
  it("is restarted on the same port and store when SIGKILLed, says so, and its clients reconnect to a store that kept its file streams", async () => {
    const storeDir = await store();
    const { log, text } = collect();
    const own = await startOwnNats(storeDir, log);
    const statuses: BusStatus["type"][] = [];
    const bus = await connectBus({
      servers: own.url,
      reconnectWaitMs: 100,
      onStatus: (s) => statuses.push(s.type),
    });
    try {
      await ensureStreams(bus.jsm);
      await bus.js.publish("ft.alerts.cam1", new Uint8Array([1]));
      assert.equal(own.health(), true);
      const killed = own.pid;
      process.kill(killed, "SIGKILL");

      await waitFor(() => /restarted nats-server/.test(text()), "the supervisor to restart nats-server");
      assert.match(
        text(),
        new RegExp(
          `warn: nats-server pid ${killed} died \\(signal SIGKILL\\); restarting it on ${own.url} \\(same JetStream store\\) in 1 s`,
        ),
      );
      assert.match(
        text(),
        new RegExp(`warn: restarted nats-server ${own.url} \\(pid ${own.pid}, JetStream store `),
      );
      assert.notEqual(own.pid, killed);
      assert.equal(own.health(), true);
      assert.deepEqual(await natsServersOn(storeDir), [own.pid], "one server on the store");

      await waitFor(() => statuses.includes("reconnect"), "the client to reconnect by itself");
      const info = await bus.jsm.streams.info("FT_ALERTS");
      assert.equal(info.state.messages, 1, "the file stream survived the SIGKILL");
    } finally {
      await bus.close();
      await own.stop();
    }
    assert.deepEqual(await natsServersOn(storeDir), [], "stop() stops the server it restarted");
  });

  it("reports the server down while it cannot start, retrying with growing delays until it can", async () => {
    const storeDir = await store();
    // A nats-server that refuses to start while BLOCK exists (the fault: a server that cannot come back).
    const block = path.join(path.dirname(storeDir), "BLOCK");
    const wrapper = path.join(path.dirname(storeDir), "nats-server");
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ -e ${JSON.stringify(block)} ]; then echo "refused by the test: BLOCK exists" >&2; exit 3; fi\nexec nats-server "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const previous = process.env.NATS_SERVER;
    process.env.NATS_SERVER = wrapper;
    const { log, text } = collect();
    let own: OwnNats | undefined;
    try {
      own = await startOwnNats(storeDir, log);
      const killed = own.pid;
      await writeFile(block, "");
      process.kill(killed, "SIGKILL");
      await waitFor(() => /trying again in 2 s/.test(text()), "a failed restart");
      const health = own.health();
      assert.equal(typeof health, "string");
      assert.match(
        String(health),
        /^down since \d{4}-\d\d-\d\dT[\d:.]+Z: cannot restart nats-server: nats-server: exited before it was ready \(code 3, signal null\); restarting it$/,
      );
      assert.match(text(), /warn: cannot restart nats-server: .* \(attempt 1\); trying again in 2 s/);
      await rm(block);
      await waitFor(() => own?.health() === true, "the server back once it can start");
      assert.match(text(), /warn: restarted nats-server/);
      assert.deepEqual(await natsServersOn(storeDir), [own.pid]);
    } finally {
      if (previous === undefined) delete process.env.NATS_SERVER;
      else process.env.NATS_SERVER = previous;
      await own?.stop();
    }
  });

  it("refuses a store that a live run holds, naming its nats-server and that run; no second server starts", async () => {
    const storeDir = await store();
    const { child, natsPid } = await holderProcess(storeDir);
    try {
      const refused = await startOwnNats(storeDir, () => {}).then(
        () => assert.fail("a second run started on a held store"),
        (error: unknown) => error,
      );
      assert.ok(refused instanceof NatsStoreInUseError, String(refused));
      assert.match(
        refused.message,
        new RegExp(
          `^the JetStream store ${storeDir} is in use by nats-server pid ${natsPid} \\(started by process ${child.pid} \\(.*\\)\\): stop that run first, or give this one another data directory \\(--data\\)$`,
        ),
      );
      assert.deepEqual(await natsServersOn(storeDir), [natsPid], "only the first run's server");
      assert.equal(isProcessAlive(natsPid), true, "the first run's server was left alone");
    } finally {
      child.kill("SIGTERM");
      await waitFor(() => !isProcessAlive(natsPid), "the first run's server to stop");
    }
  });

  it("stops the server that a SIGKILLed run left holding the store, then starts its own", async () => {
    const storeDir = await store();
    const { child, natsPid } = await holderProcess(storeDir);
    child.kill("SIGKILL");
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, "the run to die");
    assert.equal(isProcessAlive(natsPid), true, "nats-server outlives a SIGKILLed run");
    const bare = await startNatsServer({ storeDir, lockFile: path.join(storeDir, SERVER_LOCK) }).catch(
      (error: unknown) => error,
    );
    assert.ok(bare instanceof NatsStoreLockedError, "the orphaned server still holds the store's lock");

    const { log, text } = collect();
    const own = await startOwnNats(storeDir, log);
    try {
      assert.match(
        text(),
        new RegExp(
          `info: stopping nats-server pid ${natsPid}, left running on ${storeDir} by an earlier run`,
        ),
      );
      assert.equal(isProcessAlive(natsPid), false);
      assert.deepEqual(await natsServersOn(storeDir), [own.pid], "one server on the store: the new run's");
    } finally {
      await own.stop();
    }
  });
});
