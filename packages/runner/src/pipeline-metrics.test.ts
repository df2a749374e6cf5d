import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createServiceMetrics } from "@facetracker/service-kit";
import { pipelineMetricsText, scrapeMetrics } from "./pipeline-metrics.ts";

describe("the pipeline's aggregate metrics (what up serves)", () => {
  let server: Server;
  let base: string;
  const detect = createServiceMetrics("detect", { defaultMetrics: false });
  before(async () => {
    detect.messagesIn.inc({ subject_kind: "frames" }, 3);
    server = createServer((req, res) => {
      if (req.url === "/detect/metrics") {
        void detect.registry.metrics().then((body) => res.end(body));
      } else if (req.url === "/broken/metrics") {
        res.statusCode = 500;
        res.end("boom");
      }
      // Anything else never answers (a hung service).
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("reads the services that answer, labels their series, and says which did not and why", async () => {
    const readings = await Promise.all([
      scrapeMetrics(`${base}/detect/metrics`, { service: "detect" }),
      scrapeMetrics(`${base}/broken/metrics`, { service: "track" }),
      scrapeMetrics(`${base}/hung/metrics`, { service: "embed", worker: "2" }, 300),
    ]);
    assert.equal(readings[1]?.error, `${base}/broken/metrics answered HTTP 500`);
    assert.equal(readings[2]?.error, `${base}/hung/metrics: no answer in 300 ms`);
    const own = createServiceMetrics("facetracker", { defaultMetrics: false });
    own.messagesIn.inc({ subject_kind: "observer" });
    const text = pipelineMetricsText(await own.registry.metrics(), readings);
    const lines = text.split("\n");
    assert.deepEqual(
      lines.filter((l) => l.startsWith("facetracker_scrape_up")),
      [
        'facetracker_scrape_up{service="detect"} 1',
        'facetracker_scrape_up{service="track"} 0',
        'facetracker_scrape_up{service="embed",worker="2"} 0',
      ],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith("facetracker_messages_in_total")),
      [
        'facetracker_messages_in_total{subject_kind="observer",service="facetracker"} 1',
        'facetracker_messages_in_total{subject_kind="frames",service="detect"} 3',
      ],
    );
    assert.ok(
      lines.includes(
        `# facetracker: the metrics of embed-2 are left out: ${base}/hung/metrics: no answer in 300 ms`,
      ),
      text,
    );
    assert.equal(lines.filter((l) => l === "# TYPE facetracker_messages_in_total counter").length, 1);
  });
});
