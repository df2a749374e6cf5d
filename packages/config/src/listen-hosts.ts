/** Where each listener binds: its own key, else listen_host (loopback by default). */

import type { FaceTrackerConfig } from "./schema.ts";

/** The listeners with their own address key. */
export type Listener = "api" | "web" | "metrics";

/**
 * The address `listener` binds: api.listen (gRPC), web.listen (the web page) or metrics.listen (every
 * /healthz and /metrics), else listen_host.
 */
export function listenHostOf(
  config: Pick<FaceTrackerConfig, "listen_host" | "api" | "web" | "metrics">,
  listener: Listener,
): string {
  return config[listener].listen ?? config.listen_host;
}

/**
 * The address to connect to a listener bound to `host` on this machine: loopback for the wildcard
 * addresses (0.0.0.0, ::), the address itself otherwise.
 */
export function connectHostOf(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "::1";
  return host;
}

/** host:port, with an IPv6 address in brackets ([::1]:50051). */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
