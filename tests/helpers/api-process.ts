/**
 * The gRPC api as its own process on a free port, against a nats-server of its own, with an empty gallery
 * in a temporary folder; `stop` closes the client and stops both and removes the folder.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseConfig } from "@facetracker/config";
import { FaceTrackerApiClient } from "@facetracker/proto";
import { freeLocalPort, type ServiceProcess, spawnServiceProcess } from "@facetracker/service-host";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";

export interface ApiProcess {
  dir: string;
  nats: NatsTestServer;
  api: ServiceProcess;
  client: FaceTrackerApiClient;
  stop(): Promise<void>;
}

export async function startApiProcess(tmpPrefix: string): Promise<ApiProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  const nats = await startNatsServer();
  const port = await freeLocalPort();
  const config = parseConfig({
    db_path: path.join(dir, "gallery"),
    api: { port, http_port: 0 },
    cameras: [],
  });
  const configFile = path.join(dir, "config.json");
  await writeFile(configFile, JSON.stringify(config));
  const api = await spawnServiceProcess({
    name: "api",
    configFile,
    env: { FACETRACKER_NATS__URL: nats.url },
  });
  const client = new FaceTrackerApiClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    dir,
    nats,
    api,
    client,
    async stop() {
      client.close();
      await api.stop(5000);
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A unary gRPC call of the api client as a promise (`fn` bound to its client), without metadata. */
export function unary<Req, Res>(
  fn: (req: Req, md: Metadata, cb: (e: ServiceError | null, r: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, new Metadata(), (e, r) => (e ? reject(e) : resolve(r))));
}
