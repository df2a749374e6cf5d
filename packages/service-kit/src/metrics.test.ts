import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createServiceMetrics, STAGE_SECONDS_BUCKETS } from "./metrics.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition samples (comments skipped; label values without escapes). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const [, name = "", labelText = "", value = ""] = match;
    const labels: Record<string, string> = {};
    for (const [, key = "", labelValue = ""] of labelText.matchAll(/(\w+)="([^"]*)"/g))
      labels[key] = labelValue;
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find(
    (sample) =>
      sample.name === name &&
      Object.keys(labels).length === Object.keys(sample.labels).length &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )?.value;
}

describe("createServiceMetrics", () => {
  it("exposes the standard series with their labels and the service label", async () => {
    const metrics = createServiceMetrics("detect", { defaultMetrics: false });
    metrics.messagesIn.inc({ subject_kind: "frames" });
    metrics.messagesIn.inc({ subject_kind: "frames" }, 2);
    metrics.messagesOut.inc({ subject_kind: "detections" });
    metrics.messagesDropped.inc({ reason: "stale" });
    metrics.messagesDeadLettered.inc({ subject_kind: "frames" });
    metrics.queueDepth.set({ queue: "decode" }, 5);
    metrics.stage.observe({ stage: "detect" }, 0.003);

    const samples = parseSamples(await metrics.registry.metrics());
    const service = "detect";
    assert.equal(
      sampleValue(samples, "facetracker_messages_in_total", { subject_kind: "frames", service }),
      3,
    );
    assert.equal(
      sampleValue(samples, "facetracker_messages_out_total", { subject_kind: "detections", service }),
      1,
    );
    assert.equal(sampleValue(samples, "facetracker_messages_dropped_total", { reason: "stale", service }), 1);
    assert.equal(
      sampleValue(samples, "facetracker_messages_dead_lettered_total", { subject_kind: "frames", service }),
      1,
    );
    assert.equal(sampleValue(samples, "facetracker_queue_depth", { queue: "decode", service }), 5);
    assert.equal(sampleValue(samples, "facetracker_stage_seconds_count", { stage: "detect", service }), 1);
    assert.equal(sampleValue(samples, "facetracker_stage_seconds_sum", { stage: "detect", service }), 0.003);
    assert.equal(
      sampleValue(samples, "facetracker_stage_seconds_bucket", { stage: "detect", service, le: "0.0025" }),
      0,
    );
    assert.equal(
      sampleValue(samples, "facetracker_stage_seconds_bucket", { stage: "detect", service, le: "0.005" }),
      1,
    );
    assert.ok(
      samples.every((sample) => sample.labels.service === "detect"),
      "every sample has service=detect",
    );
  });

  it("gives stage_seconds buckets from 0.5 ms to 2 s", async () => {
    const metrics = createServiceMetrics("embed", { defaultMetrics: false });
    metrics.stage.observe({ stage: "embed" }, 0.0001);
    const les = parseSamples(await metrics.registry.metrics())
      .filter((sample) => sample.name === "facetracker_stage_seconds_bucket")
      .map((sample) => sample.labels.le);
    assert.deepEqual(les, [...STAGE_SECONDS_BUCKETS.map(String), "+Inf"]);
    assert.equal(STAGE_SECONDS_BUCKETS[0], 0.0005);
    assert.equal(STAGE_SECONDS_BUCKETS.at(-1), 2);
  });

  it("time() observes the stage whether fn resolves or throws, and passes the result or error on", async () => {
    const metrics = createServiceMetrics("track", { defaultMetrics: false });
    assert.equal(await metrics.time("match", async () => 42), 42);
    assert.equal(await metrics.time("match", () => "sync"), "sync");
    await assert.rejects(
      metrics.time("match", async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    const samples = parseSamples(await metrics.registry.metrics());
    assert.equal(
      sampleValue(samples, "facetracker_stage_seconds_count", { stage: "match", service: "track" }),
      3,
    );
  });

  it("collects default process metrics labelled with the service", async () => {
    const metrics = createServiceMetrics("ingest");
    const samples = parseSamples(await metrics.registry.metrics());
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
    ]) {
      const sample = samples.find((candidate) => candidate.name === name);
      assert.ok(sample, `${name} is exposed`);
      assert.equal(sample.labels.service, "ingest");
    }
  });

  it("keeps each service's registry separate", async () => {
    const a = createServiceMetrics("alert", { defaultMetrics: false });
    const b = createServiceMetrics("api", { defaultMetrics: false });
    a.messagesIn.inc({ subject_kind: "tracks" });
    const bSamples = parseSamples(await b.registry.metrics());
    assert.equal(
      sampleValue(bSamples, "facetracker_messages_in_total", { subject_kind: "tracks", service: "api" }),
      undefined,
    );
    const aSamples = parseSamples(await a.registry.metrics());
    assert.equal(
      sampleValue(aSamples, "facetracker_messages_in_total", { subject_kind: "tracks", service: "alert" }),
      1,
    );
  });
});
