/**
 * An in-process S3 server (s3rver) for tests: 127.0.0.1, a free port, a temporary data directory, the
 * bucket created. stop() and start() keep the port and the data (for "S3 down, then up" tests); close()
 * stops it and removes the data directory.
 *
 * s3rver facts this relies on: its default account is access key "S3RVER" / secret "S3RVER"; it checks the
 * access key of a SigV4 request (a wrong one is InvalidAccessKeyId, HTTP 403) but not the signature itself,
 * so a wrong secret with the right key is accepted; it serves path-style URLs (http://host:port/bucket/key)
 * and presigned SigV4 GETs; bucket names need 3–63 characters.
 */

import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The part of s3rver's API used here (it ships no types). */
interface S3rverInstance {
  callback(): (req: unknown, res: unknown) => void;
  configureBuckets(): Promise<unknown>;
  logger: { close(): void };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

/** Options of startS3Server. */
export interface S3TestServerOptions {
  /** Bucket name (default "facetracker-clips-test"). */
  bucket?: string;
  /** Create the bucket at start (default true). */
  createBucket?: boolean;
}

/** A running s3rver. */
export interface S3TestServer {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  /** "S3RVER" */
  readonly accessKey: string;
  /** "S3RVER" */
  readonly secretKey: string;
  readonly bucket: string;
  /** The data directory (removed by close()). */
  readonly directory: string;
  /** Whether it is accepting connections. */
  readonly running: boolean;
  /** Stops listening and drops open connections; keeps the port number and the data. Idempotent. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same data (after stop()). */
  start(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** Stops it and removes the data directory. Idempotent. */
  close(): Promise<void>;
}

/** Data directories of servers not closed yet: removed if the process exits first. */
const liveDirectories = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const dir of liveDirectories) rmSync(dir, { recursive: true, force: true });
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(
        new Error(`cannot start the S3 test server on 127.0.0.1:${port}: ${error.message}`, { cause: error }),
      );
    };
    const onListening = () => {
      server.off("error", onError);
      const address = server.address();
      resolveListen(typeof address === "object" && address ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, "127.0.0.1");
  });
}

/** Starts s3rver on a free port of 127.0.0.1 with a temporary data directory and the bucket created. */
export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? "facetracker-clips-test";
  const S3rver = require("s3rver") as S3rverConstructor;
  const directory = await mkdtemp(join(tmpdir(), "clips-s3rver-"));
  liveDirectories.add(directory);
  installExitHook();
  const s3rver = new S3rver({
    directory,
    silent: true,
    configureBuckets: options.createBucket === false ? [] : [{ name: bucket, configs: [] }],
  });
  let server: Server | undefined;
  let port = 0;
  let closed = false;

  const start = async (): Promise<void> => {
    if (closed) throw new Error("the S3 test server is closed");
    if (server) return;
    const next = createServer(s3rver.callback() as Parameters<typeof createServer>[1] & object);
    port = await listen(next, port);
    server = next;
  };
  const stop = async (): Promise<void> => {
    const current = server;
    if (!current) return;
    server = undefined;
    await new Promise<void>((resolveClose) => {
      current.close(() => resolveClose());
      current.closeAllConnections();
    });
  };

  try {
    await s3rver.configureBuckets();
    await start();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    liveDirectories.delete(directory);
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    accessKey: "S3RVER",
    secretKey: "S3RVER",
    bucket,
    directory,
    get running() {
      return server !== undefined;
    },
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      if (closed) return;
      await stop();
      closed = true;
      s3rver.logger.close();
      await rm(directory, { recursive: true, force: true });
      liveDirectories.delete(directory);
    },
  };
}
