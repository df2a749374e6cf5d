/** Test helpers for packages whose tests need a real bus. */
export {
  type NatsServerChild as NatsTestServer,
  type NatsServerOptions,
  startNatsServer,
} from "../nats-server-child.ts";
export { waitFor } from "./wait-for.ts";
