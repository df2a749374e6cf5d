/** Test helpers for packages whose tests need a real bus: a nats-server child on a free port. */
export {
  type NatsServerChild as NatsTestServer,
  type NatsServerOptions,
  startNatsServer,
} from "@facetracker/bus";
