/**
 * The HTTP side every service exposes: GET /healthz (readiness), GET /livez (liveness), GET /metrics
 * (Prometheus text format). Everything else is a JSON 404 (or 405 for another method on those paths).
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.ts";

export interface Readiness {
  ready: boolean;
  /** Named checks, e.g. { nats: true, model: "loading" }: shown in the /healthz body. */
  checks: Record<string, boolean | string>;
}

export interface ServiceHttpOptions {
  /** 0 picks a free port. */
  port: number;
  /** The address to bind (listen_host / metrics.listen); default "127.0.0.1": this machine only. */
  host?: string;
  service: string;
  /** What /metrics serves: a prom-client Registry, or anything that writes exposition text the same way. */
  registry: Pick<Registry, "metrics" | "contentType">;
  /** Asked on every /healthz; a throw (or rejection) answers 503 with the error in checks.readiness. */
  readiness: () => Readiness | Promise<Readiness>;
  /** Gets a warn line when a request handler fails. */
  logger?: Logger;
  /**
   * The service's own listeners, bound addresses by name (e.g. { grpc: "127.0.0.1:50051" }): shown in the
   * /healthz body as `listening`, so that a parent (`facetracker up`) prints what was actually bound.
   */
  listening?: () => Record<string, string>;
}

export interface ServiceHttp {
  /** The port listened on (the chosen one when 0 was asked). */
  readonly port: number;
  /**
   * Base URL to reach the server from this machine, from the bound address, e.g. http://127.0.0.1:40123
   * (loopback when bound to every address).
   */
  readonly url: string;
  /** The address actually bound (server.address()), host:port, e.g. 127.0.0.1:40123 or [::]:9464. */
  readonly address: string;
  /** Stops listening and closes connections; idempotent. */
  close(): Promise<void>;
}

/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 1000;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readinessOf(options: ServiceHttpOptions): Promise<Readiness> {
  try {
    return await options.readiness();
  } catch (error) {
    return { ready: false, checks: { readiness: `error: ${errorText(error)}` } };
  }
}

async function handle(options: ServiceHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://service").pathname;
  const routes = ["/healthz", "/livez", "/metrics"];
  if (!routes.includes(path)) {
    sendJson(res, 404, { error: "not found", path });
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendJson(res, 405, { error: "method not allowed", method: req.method }, { allow: "GET, HEAD" });
    return;
  }
  if (path === "/livez") {
    sendJson(res, 200, { status: "ok", service: options.service });
  } else if (path === "/healthz") {
    const { ready, checks } = await readinessOf(options);
    sendJson(res, ready ? 200 : 503, {
      status: ready ? "ok" : "unavailable",
      service: options.service,
      checks: withoutCredentials(checks),
      ...(options.listening ? { listening: options.listening() } : {}),
    });
  } else {
    const body = await options.registry.metrics();
    res.writeHead(200, {
      "content-type": options.registry.contentType,
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}

/**
 * Check texts without the credentials of any URL in them (rtsp://user:pass@cam → rtsp://***@cam): /healthz
 * answers without a token, and an error text may quote a camera's or a server's URL.
 */
function withoutCredentials(checks: Record<string, boolean | string>): Record<string, boolean | string> {
  return Object.fromEntries(
    Object.entries(checks).map(([name, value]) => [
      name,
      typeof value === "string" ? value.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, "$1***@") : value,
    ]),
  );
}

/** A host for a URL that reaches an address bound on this machine (IPv6 in brackets). */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Starts listening; rejects when the port cannot be bound (e.g. EADDRINUSE), naming host and port. */
export async function startServiceHttp(options: ServiceHttpOptions): Promise<ServiceHttp> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      options.logger?.warn("http request failed", { path: req.url, err: error });
      if (!res.headersSent) sendJson(res, 500, { error: "internal error", message: errorText(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(new Error(`cannot listen on ${host}:${options.port}: ${error.message}`, { cause: error }));
    };
    server.once("error", onError);
    server.listen(options.port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const port = bound.port;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${urlHost(bound.address)}:${port}`,
    address: bound.family === "IPv6" ? `[${bound.address}]:${port}` : `${bound.address}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const cutOff = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        cutOff.unref();
        server.close((error) => {
          clearTimeout(cutOff);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
