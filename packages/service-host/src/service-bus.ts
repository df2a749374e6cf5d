import { type TypedBus, typedBus } from "@facetracker/bus";
import type { ServiceDeps } from "./service-deps.ts";

/**
 * A service's typed bus: on its connection, logging through its logger, and counting into its metrics:
 * messages_out_total{subject_kind} per message published (and embed reply sent), messages_in_total per
 * message consumed (and embed request served), messages_dead_lettered_total per message dead-lettered,
 * messages_retried_total per message handed back after a transient failure, and
 * messages_dropped_total{reason="retry_expired"} per message given up on as too old to retry.
 */
export function serviceBus({
  bus,
  logger,
  metrics,
}: Pick<ServiceDeps, "bus" | "logger" | "metrics">): TypedBus {
  return typedBus(bus, {
    logger,
    onPublished: (kind) => metrics.messagesOut.inc({ subject_kind: kind }),
    onConsumed: (kind) => metrics.messagesIn.inc({ subject_kind: kind }),
    onDeadLettered: (kind) => metrics.messagesDeadLettered.inc({ subject_kind: kind }),
    onRetried: (kind) => metrics.messagesRetried.inc({ subject_kind: kind }),
    onExpired: () => metrics.messagesDropped.inc({ reason: "retry_expired" }),
  });
}
