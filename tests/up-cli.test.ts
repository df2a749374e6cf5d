import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { runCli } from "./helpers/run-cli.ts";

function natsServersUsing(dir: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", "nats-server"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(dir));
  } catch {
    return [];
  }
}

describe("facetracker up (embedded run: own nats-server, all services in one process)", () => {
  it("watches the demo camera, prints track events and alerts, and stops cleanly when the video ends", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-up-"));
    try {
      const { code, out, err } = await runCli(
        ["up", "--data", dir, "--db", path.join(dir, "gallery"), "--exit-when-done"],
        180_000,
        { NATS_URL: "" },
      );
      assert.equal(code, 0, err);
      assert.match(out, /up: started nats-server nats:\/\/127\.0\.0\.1:\d+/);
      assert.match(
        out,
        /up: gRPC API 127\.0\.0\.1:\d+, health http:\/\/127\.0\.0\.1:\d+\/healthz, metrics http:\/\/127\.0\.0\.1:\d+\/metrics/,
      );
      assert.match(out, /track {2}demo #1 confirmed unknown/);
      assert.match(out, /ALERT {2}demo #1: unknown face at .* \[ON_UNKNOWNS\]/);
      assert.ok(
        (out.match(/ALERT {2}demo #\d+/g) ?? []).length >= 3,
        "the three people of the demo video alert",
      );
      assert.match(out, /up: stopping/);
      assert.deepEqual(natsServersUsing(dir), [], "no nats-server left running");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
