/** Test helpers for packages whose tests need a real bus. */
export { type NatsServerOptions, type NatsTestServer, startNatsServer } from "./nats-server.ts";
export { waitFor } from "./wait-for.ts";
