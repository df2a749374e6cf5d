import type { BusConnectOptions } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** NATS connection options from the configuration (nats.url, or NATS_URL, user/password, token, TLS). */
export function busOptionsFrom(
  config: FaceTrackerConfig,
  name: string,
  env = process.env,
): BusConnectOptions {
  const n = config.nats;
  const servers = (n.url ?? env.NATS_URL ?? DEFAULT_NATS_URL).split(",").map((s) => s.trim());
  const options: BusConnectOptions = { servers, name };
  if (n.user !== undefined) options.user = n.user;
  if (n.pass !== undefined) options.pass = n.pass;
  if (n.token !== undefined) options.token = n.token;
  if (n.tls) {
    options.tls = {
      ...(n.tls.ca_file ? { caFile: n.tls.ca_file } : {}),
      ...(n.tls.cert_file ? { certFile: n.tls.cert_file } : {}),
      ...(n.tls.key_file ? { keyFile: n.tls.key_file } : {}),
    };
  }
  return options;
}
