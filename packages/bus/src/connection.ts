/**
 * Connecting a service to the bus: one NATS connection with JetStream, reconnecting forever (a service
 * rides out a server restart), with connection events reported through onStatus.
 */

import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  AuthorizationError,
  connect,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";

export interface BusTlsOptions {
  /** CA certificate(s) to verify the server with (PEM file). */
  caFile?: string;
  /** Client certificate (PEM file), for servers that verify clients. */
  certFile?: string;
  /** Key of the client certificate (PEM file). */
  keyFile?: string;
}

/** Connection events worth logging. */
export type BusStatus =
  | { type: "disconnect"; server: string }
  | { type: "reconnecting" }
  | { type: "reconnect"; server: string }
  | { type: "lameDuck"; server: string }
  | { type: "error"; error: Error }
  | { type: "close" };

export interface BusConnectOptions {
  /** One or more server URLs (nats://host:4222, tls://host:4222). */
  servers: string | string[];
  /** Connection name shown by the server (e.g. the service name). */
  name?: string;
  /** User and password, for servers with user authentication. */
  user?: string;
  pass?: string;
  /** Token, for servers with token authentication. */
  token?: string;
  tls?: BusTlsOptions;
  /** Wait between reconnection attempts, ms (default 1000; reconnection never gives up). */
  reconnectWaitMs?: number;
  /** Timeout of the first connection, ms (default 5000). */
  connectTimeoutMs?: number;
  /**
   * Keep trying when no server answers at start instead of failing (default false: a service that cannot
   * reach the bus at start says so at once).
   */
  waitOnFirstConnect?: boolean;
  /** Called on disconnection, reconnection, lame-duck mode, asynchronous errors and close. */
  onStatus?: (status: BusStatus) => void;
}

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Closes at once (pending messages may be lost). */
  close(): Promise<void>;
  /** Lets subscriptions finish their pending messages, flushes, then closes. */
  drain(): Promise<void>;
}

export class BusConnectionError extends Error {
  override name = "BusConnectionError";
}

function serverList(servers: string | string[]): string {
  return Array.isArray(servers) ? servers.join(", ") : servers;
}

function checkOptions(options: BusConnectOptions): void {
  const servers = Array.isArray(options.servers) ? options.servers : [options.servers];
  if (servers.length === 0 || servers.some((s) => typeof s !== "string" || s.trim() === "")) {
    throw new BusConnectionError("bus: servers must name at least one NATS server URL");
  }
  if ((options.user === undefined) !== (options.pass === undefined)) {
    throw new BusConnectionError("bus: user and pass go together (set both or neither)");
  }
  if (options.token !== undefined && options.user !== undefined) {
    throw new BusConnectionError("bus: use either a token or user/pass, not both");
  }
  if (options.tls && (options.tls.certFile === undefined) !== (options.tls.keyFile === undefined)) {
    throw new BusConnectionError("bus: tls.certFile and tls.keyFile go together (set both or neither)");
  }
}

function natsOptions(options: BusConnectOptions): NodeConnectionOptions {
  const tls = options.tls
    ? Object.fromEntries(Object.entries(options.tls).filter(([, value]) => value !== undefined))
    : undefined;
  return {
    servers: options.servers,
    ...(options.name !== undefined && { name: options.name }),
    ...(options.user !== undefined && { user: options.user, pass: options.pass }),
    ...(options.token !== undefined && { token: options.token }),
    ...(tls !== undefined && { tls }),
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectWaitMs ?? 1000,
    timeout: options.connectTimeoutMs ?? 5000,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
  };
}

function describeConnectFailure(error: unknown, servers: string): BusConnectionError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  let reason: string;
  if (error instanceof AuthorizationError || /authorization/i.test(message)) {
    reason =
      "authorization violation: the server requires credentials (set the bus token or user/pass) or refused the ones given";
  } else if (code === "ECONNREFUSED" || /ECONNREFUSED|connection refused/i.test(message)) {
    reason = "connection refused (is nats-server running and listening there?)";
  } else {
    reason = message;
  }
  return new BusConnectionError(`cannot connect to NATS at ${servers}: ${reason}`, { cause: error });
}

async function forwardStatus(nc: NatsConnection, onStatus: (status: BusStatus) => void): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case "disconnect":
      case "reconnect":
        onStatus({ type: s.type, server: s.server });
        break;
      case "reconnecting":
      case "close":
        onStatus({ type: s.type });
        break;
      case "ldm":
        onStatus({ type: "lameDuck", server: s.server });
        break;
      case "error":
        onStatus({ type: "error", error: s.error });
        break;
      default:
        break;
    }
  }
}

/** Connects to NATS and opens JetStream; throws BusConnectionError saying why when it cannot. */
export async function connectBus(options: BusConnectOptions): Promise<Bus> {
  checkOptions(options);
  const servers = serverList(options.servers);
  let nc: NatsConnection;
  try {
    nc = await connect(natsOptions(options));
  } catch (error) {
    throw describeConnectFailure(error, servers);
  }
  if (options.onStatus) {
    const onStatus = options.onStatus;
    forwardStatus(nc, onStatus).catch((error: unknown) =>
      onStatus({ type: "error", error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (error) {
    await nc.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new BusConnectionError(
      `NATS at ${servers} has no JetStream (${message}): start nats-server with -js (JetStream enabled)`,
      { cause: error },
    );
  }
  return {
    nc,
    js: jetstream(nc),
    jsm,
    close: () => nc.close(),
    drain: () => nc.drain(),
  };
}
