import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Histogram, Registry } from "prom-client";
import { createServiceMetrics } from "./metrics.ts";
import { mergeExpositions, parseExposition, withLabels } from "./metrics-merge.ts";

describe("withLabels", () => {
  it("adds the labels a series lacks, keeps those it has, and reads quoted values holding braces and quotes", () => {
    assert.equal(withLabels("up 1", { service: "api" }), 'up{service="api"} 1');
    assert.equal(
      withLabels('x_total{service="detect",camera="door"} 3 1700000000000', { service: "api", worker: "2" }),
      'x_total{service="detect",camera="door",worker="2"} 3 1700000000000',
    );
    assert.equal(
      withLabels('x{path="/a{b},c",msg="say \\"hi\\""} 1', { service: 'a"b\\c' }),
      'x{path="/a{b},c",msg="say \\"hi\\"",service="a\\"b\\\\c"} 1',
    );
    assert.equal(withLabels("x{} 1", {}), "x 1");
    assert.equal(withLabels('x{a="open 1', { service: "api" }), undefined, "an unterminated quote");
    assert.equal(withLabels("x{a=1} 1", { service: "api" }), undefined, "an unquoted value");
  });
});

describe("parseExposition", () => {
  it("groups a histogram's _bucket, _sum and _count samples under its family, in order", async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: "lat_seconds",
      help: "Latency.",
      buckets: [0.1, 1],
      registers: [registry],
    });
    new Counter({ name: "n_total", help: "N.", registers: [registry] }).inc(2);
    h.observe(0.5);
    const families = parseExposition(await registry.metrics());
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ["lat_seconds", "histogram", 5],
        ["n_total", "counter", 1],
      ],
    );
    assert.equal(families[0]?.help, "Latency.");
  });
});

describe("mergeExpositions", () => {
  it("one family per metric across services, each series labelled with its service (and worker), valid exposition text", async () => {
    const detect = createServiceMetrics("detect", { defaultMetrics: false });
    const track = createServiceMetrics("track", { defaultMetrics: false });
    detect.messagesIn.inc({ subject_kind: "frames" }, 5);
    track.messagesIn.inc({ subject_kind: "detections" }, 4);
    track.stage.observe({ stage: "track" }, 0.01);
    // A source without a service label of its own (a worker of a service).
    const worker =
      '# HELP facetracker_messages_in_total Messages received, by subject kind.\n# TYPE facetracker_messages_in_total counter\nfacetracker_messages_in_total{subject_kind="embed"} 7\n';
    const text = mergeExpositions([
      { labels: { service: "detect" }, text: await detect.registry.metrics() },
      { labels: { service: "track" }, text: await track.registry.metrics() },
      { labels: { service: "embed", worker: "2" }, text: worker },
    ]);
    const lines = text.split("\n");
    assert.equal(lines.filter((l) => l === "# TYPE facetracker_messages_in_total counter").length, 1, text);
    assert.equal(lines.filter((l) => l.startsWith("# HELP facetracker_messages_in_total ")).length, 1);
    const samples = lines.filter((l) => l.startsWith("facetracker_messages_in_total"));
    assert.deepEqual(samples, [
      'facetracker_messages_in_total{subject_kind="frames",service="detect"} 5',
      'facetracker_messages_in_total{subject_kind="detections",service="track"} 4',
      'facetracker_messages_in_total{subject_kind="embed",service="embed",worker="2"} 7',
    ]);
    // Every family's samples right after its TYPE line, none elsewhere (what Prometheus requires).
    const families = parseExposition(text);
    assert.equal(new Set(families.map((f) => f.name)).size, families.length);
    const stage = families.find((f) => f.name === "facetracker_stage_seconds");
    assert.ok(
      stage?.samples.some((s) =>
        /^facetracker_stage_seconds_count\{service="track",stage="track"\} 1$/.test(s),
      ),
      text,
    );
    assert.ok(text.endsWith("\n"));
  });

  it("keeps a repeated series once, and leaves out (saying so) a family whose type differs", () => {
    const a = '# TYPE x gauge\nx{service="a"} 1\n# TYPE y counter\ny_total 1\n';
    const b = "# TYPE x counter\nx 2\nz 3\n";
    const text = mergeExpositions([
      { labels: { service: "a" }, text: a },
      { labels: { service: "a" }, text: a },
      { labels: { service: "b" }, text: b },
    ]);
    assert.equal(text.split("\n").filter((l) => l === 'x{service="a"} 1').length, 1, text);
    assert.match(text, /^# facetracker: x of service=b left out: it is a counter, elsewhere a gauge$/m);
    assert.doesNotMatch(text, /^x\{service="b"\}/m);
    assert.match(text, /^z\{service="b"\} 3$/m, "an untyped sample is kept as its own family");
    assert.match(text, /^y_total\{service="a"\} 1$/m);
  });
});
