/**
 * The pipeline's private nats-server: JetStream store under the data directory, port 4222 when free. Its
 * pid is noted in the store, so that a server left running by a run that was killed is stopped before a
 * new one starts on the same store.
 */

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type NatsServerChild, startNatsServer } from "@facetracker/bus";
import { isProcessAlive } from "@facetracker/infra";
import type { PipelineLog } from "./pipeline-log.ts";

/** Where the runner notes the pid of its nats-server, to find it again if its process was killed. */
const PID_FILE = "facetracker-up.pid";

/** Starts nats-server on `storeDir`: port 4222 when free, else any free port. */
export async function startOwnNats(storeDir: string, log: PipelineLog): Promise<NatsServerChild> {
  await stopStaleNats(storeDir, log);
  let nats: NatsServerChild;
  try {
    nats = await startNatsServer({ storeDir, port: 4222 });
  } catch {
    nats = await startNatsServer({ storeDir });
  }
  await writeFile(path.join(storeDir, PID_FILE), `${nats.pid}\n`);
  log({
    level: "info",
    message: `started nats-server ${nats.url} (JetStream store ${path.relative(process.cwd(), nats.storeDir)})`,
  });
  return nats;
}

/**
 * A nats-server left running on this store by a run that was killed (SIGKILL stops the services, which
 * watch their parent, but not nats-server) is stopped first: two servers must never share a store.
 */
async function stopStaleNats(storeDir: string, log: PipelineLog): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(storeDir, PID_FILE), "utf8")).trim());
  } catch {
    return;
  }
  let cmdline: string;
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ");
  } catch {
    return; // not running any more
  }
  if (!cmdline.includes("nats-server") || !cmdline.includes(storeDir)) return;
  log({
    level: "info",
    message: `stopping nats-server pid ${pid}, left running on ${storeDir} by an earlier run`,
  });
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!isProcessAlive(pid)) return;
  }
  process.kill(pid, "SIGKILL");
}
