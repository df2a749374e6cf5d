/**
 * Prometheus metrics of one service: its own Registry, labelled service="<name>" on every series, with
 * Node's default process metrics (CPU, RSS, heap, event loop lag, GC) and the series every FaceTracker
 * service has, named facetracker_*.
 */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export const METRIC_PREFIX = "facetracker_";

/** stage_seconds buckets: 0.5 ms to 2 s, roughly ×2 / ×2.5 apart. */
export const STAGE_SECONDS_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2,
];

/**
 * Buckets of the capture → result latencies (facetracker_capture_to_track_seconds,
 * facetracker_capture_to_alert_seconds): 50 ms to 30 s.
 */
export const LATENCY_SECONDS_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface ServiceMetricsOptions {
  /** Collect Node's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** Buckets of facetracker_stage_seconds (default STAGE_SECONDS_BUCKETS). */
  stageBuckets?: readonly number[];
}

export interface ServiceMetrics {
  readonly service: string;
  /** The service's registry: serve it on /metrics, register service-specific metrics on it. */
  readonly registry: Registry;
  /** facetracker_messages_in_total{subject_kind}: messages received. */
  readonly messagesIn: Counter<"subject_kind">;
  /** facetracker_messages_out_total{subject_kind}: messages published. */
  readonly messagesOut: Counter<"subject_kind">;
  /** facetracker_messages_dropped_total{reason}: messages discarded on purpose (stale, overload, invalid). */
  readonly messagesDropped: Counter<"reason">;
  /** facetracker_messages_dead_lettered_total{subject_kind}: messages given up on after failing. */
  readonly messagesDeadLettered: Counter<"subject_kind">;
  /**
   * facetracker_messages_retried_total{subject_kind}: messages handed back to be tried again after a
   * transient failure (no worker answered, a timeout, the bus down), one per attempt.
   */
  readonly messagesRetried: Counter<"subject_kind">;
  /** facetracker_stage_seconds{stage}: time spent in a processing stage. */
  readonly stage: Histogram<"stage">;
  /** facetracker_queue_depth{queue}: items waiting in an internal or broker queue. */
  readonly queueDepth: Gauge<"queue">;
  /**
   * Runs `fn` and observes its duration in stage_seconds{stage}, whether it resolves or throws (the
   * error is rethrown).
   */
  time<T>(stage: string, fn: () => T | Promise<T>): Promise<T>;
  /** A counter on the registry: the one registered under `name` already, else a new one. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L>;
  /** A gauge on the registry: the one registered under `name` already, else a new one. */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L>;
  /**
   * A histogram on the registry (buckets default LATENCY_SECONDS_BUCKETS): the one registered under
   * `name` already, else a new one.
   */
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets?: readonly number[],
  ): Histogram<L>;
}

/** A registry whose series all carry service="<service>", with default process metrics unless disabled. */
export function createServiceRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** A fresh registry for `service` with the standard series registered on it. */
export function createServiceMetrics(service: string, options: ServiceMetricsOptions = {}): ServiceMetrics {
  const registry = createServiceRegistry(service, { defaultMetrics: options.defaultMetrics ?? true });
  const registers = [registry];
  const stage = new Histogram({
    name: `${METRIC_PREFIX}stage_seconds`,
    help: "Time spent in a processing stage, seconds.",
    labelNames: ["stage"] as const,
    buckets: [...(options.stageBuckets ?? STAGE_SECONDS_BUCKETS)],
    registers,
  });
  return {
    service,
    registry,
    messagesIn: new Counter({
      name: `${METRIC_PREFIX}messages_in_total`,
      help: "Messages received, by subject kind.",
      labelNames: ["subject_kind"] as const,
      registers,
    }),
    messagesOut: new Counter({
      name: `${METRIC_PREFIX}messages_out_total`,
      help: "Messages published, by subject kind.",
      labelNames: ["subject_kind"] as const,
      registers,
    }),
    messagesDropped: new Counter({
      name: `${METRIC_PREFIX}messages_dropped_total`,
      help: "Messages discarded on purpose, by reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    messagesDeadLettered: new Counter({
      name: `${METRIC_PREFIX}messages_dead_lettered_total`,
      help: "Messages given up on after failed processing, by subject kind.",
      labelNames: ["subject_kind"] as const,
      registers,
    }),
    messagesRetried: new Counter({
      name: `${METRIC_PREFIX}messages_retried_total`,
      help: "Messages handed back to be tried again after a transient failure (each attempt), by subject kind.",
      labelNames: ["subject_kind"] as const,
      registers,
    }),
    stage,
    queueDepth: new Gauge({
      name: `${METRIC_PREFIX}queue_depth`,
      help: "Items waiting in a queue.",
      labelNames: ["queue"] as const,
      registers,
    }),
    async time<T>(stageName: string, fn: () => T | Promise<T>): Promise<T> {
      const end = stage.startTimer({ stage: stageName });
      try {
        return await fn();
      } finally {
        end();
      }
    },
    counter: <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      (registry.getSingleMetric(name) as Counter<L> | undefined) ??
      new Counter<L>({ name, help, labelNames, registers }),
    gauge: <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      (registry.getSingleMetric(name) as Gauge<L> | undefined) ??
      new Gauge<L>({ name, help, labelNames, registers }),
    histogram: <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      buckets: readonly number[] = LATENCY_SECONDS_BUCKETS,
    ) =>
      (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
      new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers }),
  };
}
