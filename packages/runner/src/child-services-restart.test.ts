/**
 * `up`'s services as child processes (real nats-server, real service processes): a SIGKILLed service is
 * started again, and so is one whose first restart fails (its configuration unreadable for a moment, as a
 * start that exits or is not ready in time on a loaded machine): up keeps trying until it runs. A soak
 * run once found a web service and a clip recorder left dead for good after such a failed restart.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { waitFor } from "@facetracker/testing";
import type { PipelineLogEntry } from "./pipeline-log.ts";
import { type FaceTrackingPipeline, startPipeline } from "./start-pipeline.ts";

const pidOf = (pipeline: FaceTrackingPipeline, id: string): number | undefined => {
  const line = pipeline.describe().find((l) => l.startsWith(`service ${id} pid `));
  return line ? Number(/ pid (\d+)/.exec(line)?.[1]) : undefined;
};

describe("up's service processes are started again after they die (real nats-server and services)", () => {
  let dataDir: string;
  let pipeline: FaceTrackingPipeline;
  const logs: PipelineLogEntry[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ft-child-restart-"));
    const config = parseConfig({
      db_path: path.join(dataDir, "gallery"),
      alerts: { alert_mode: "ON_ALL" },
      api: { port: 0, http_port: 0 },
    });
    pipeline = await startPipeline({ config, dataDir, onLog: (entry) => logs.push(entry) });
  });
  after(async () => {
    await pipeline?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a SIGKILLed service runs again; one whose restart fails is tried again until it runs", async () => {
    const first = pidOf(pipeline, "alert");
    assert.ok(first, pipeline.describe().join("\n"));
    // The configuration the services read at start, made unreadable while the restart is due.
    const configFile = path.join(dataDir, "run", "config.json");
    const good = await readFile(configFile, "utf8");
    await writeFile(configFile, "{ not json");
    try {
      process.kill(first, "SIGKILL");
      await waitFor(
        () => logs.some((l) => /service alert could not be started again/.test(l.message)),
        "the first restart of alert to fail",
        60_000,
      );
    } finally {
      await writeFile(configFile, good);
    }
    await waitFor(
      async () => {
        const pid = pidOf(pipeline, "alert");
        return pid !== undefined && pid !== first && (await pipeline.readiness()).checks.alert === true;
      },
      "alert to run again",
      90_000,
    );
  });
});
