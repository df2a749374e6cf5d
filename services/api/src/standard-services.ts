/**
 * The standard gRPC services beside FaceTrackerApi, for probes and tools such as grpcurl:
 * - grpc.health.v1.Health (npm grpc-health-check): Check and Watch answer for "" (the server) and
 *   "facetracker.v1.FaceTrackerApi"; SERVING exactly when the api is ready as its /healthz says (the
 *   gallery open and the NATS connection up), NOT_SERVING before, while the bus is disconnected and from
 *   the start of a shutdown;
 * - server reflection, grpc.reflection.v1 and v1alpha (npm @grpc/reflection), built from the .proto files
 *   the API's code is generated from (proto/facetracker/v1/api.proto and its imports) and the health
 *   service's own.
 * Both answer without the bearer token (probes carry none; the schema is the repository's own).
 */

import path from "node:path";
import { FaceTrackerApiService } from "@facetracker/proto";
import type { Server, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from "grpc-health-check";

/** The repository's proto/ folder (in the image: /app/proto), which packages/proto is generated from. */
export const PROTO_ROOT = path.resolve(import.meta.dirname, "../../../proto");
/** The API's .proto file, relative to PROTO_ROOT. */
export const API_PROTO_FILE = "facetracker/v1/api.proto";
/** "facetracker.v1.FaceTrackerApi": the service's full name, as in its generated method paths. */
export const API_SERVICE_NAME = (Object.values(FaceTrackerApiService)[0]?.path ?? "").split("/")[1] ?? "";
export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";
/** grpc-health-check's health/v1/health.proto, and the folder its imports are relative to. */
const HEALTH_PROTO_FILE = "health/v1/health.proto";
const HEALTH_PROTO_ROOT = healthProtoPath.slice(0, -HEALTH_PROTO_FILE.length);

/** What the api's health follows: a bus connection's status events and whether it is closed. */
export interface BusConnection {
  status(): AsyncIterable<{ type: string }>;
  isClosed(): boolean;
}

export interface StandardServices {
  /**
   * The api is up: `checks` (e.g. { gallery: true }) hold, and the bus connection is followed from now
   * on (a disconnect answers NOT_SERVING until it reconnects).
   */
  ready(bus: BusConnection, checks: Record<string, boolean>): void;
  /** NOT_SERVING from now on, and every Health/Watch stream ended (so that a graceful shutdown ends). */
  close(): void;
}

/** Adds grpc.health.v1.Health (NOT_SERVING until ready()) and server reflection to `server`. */
export function addStandardServices(server: Server): StandardServices {
  const names = ["", API_SERVICE_NAME];
  const health = new HealthImplementation(Object.fromEntries(names.map((n) => [n, "NOT_SERVING"])));
  const watches = new Set<ServerWritableStream<unknown, unknown>>();
  health.addToServer({
    addService: (definition, handlers: UntypedServiceImplementation) => {
      const watch = handlers.watch as (call: ServerWritableStream<unknown, unknown>) => void;
      server.addService(definition, {
        ...handlers,
        watch: (call: ServerWritableStream<unknown, unknown>) => {
          watches.add(call);
          call.on("close", () => watches.delete(call));
          call.on("cancelled", () => watches.delete(call));
          watch(call);
        },
      });
    },
  });
  // Reflection describes the API and the health service (what `grpcurl list` shows).
  const definition = loadSync([API_PROTO_FILE, HEALTH_PROTO_FILE], {
    includeDirs: [PROTO_ROOT, HEALTH_PROTO_ROOT],
  });
  new ReflectionService(definition, { services: [API_SERVICE_NAME, HEALTH_SERVICE_NAME] }).addToServer(
    server,
  );

  let checks: Record<string, boolean> = { ready: false };
  let closed = false;
  let last: ServingStatus | undefined;
  const publish = () => {
    const status: ServingStatus =
      !closed && Object.values(checks).every((ok) => ok) ? "SERVING" : "NOT_SERVING";
    if (status === last) return;
    last = status;
    for (const name of names) health.setStatus(name, status);
  };
  return {
    ready(bus, more) {
      checks = { nats: !bus.isClosed(), ...more };
      publish();
      void (async () => {
        // As the service host's /healthz: down from a disconnect until the reconnect, and once closed.
        for await (const s of bus.status()) {
          if (s.type === "disconnect" || s.type === "close") checks.nats = false;
          if (s.type === "reconnect") checks.nats = true;
          publish();
        }
        checks.nats = false;
        publish();
      })();
    },
    close() {
      closed = true;
      publish();
      for (const call of watches) call.end();
      watches.clear();
    },
  };
}
