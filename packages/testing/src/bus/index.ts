/**
 * Test helpers for packages whose tests need a real bus: a nats-server child on a free port, or a
 * three-node JetStream cluster on loopback.
 */
export {
  type NatsCluster,
  type NatsClusterOptions,
  type NatsServerChild as NatsTestServer,
  type NatsServerOptions,
  startNatsCluster,
  startNatsServer,
} from "@facetracker/bus";
