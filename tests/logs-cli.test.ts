/**
 * `facetracker logs`: the services' log files of an `up` run (DATA/logs, written by the runner's
 * RotatingLogFile, rotated by size), printed merged by time, one service's, the last N, and followed (-f)
 * across a rotation.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { RotatingLogFile } from "@facetracker/runner";
import { waitFor } from "@facetracker/testing";
import { repoRoot, runCli } from "./helpers/run-cli.ts";

const line = (service: string, second: number, msg: string) =>
  JSON.stringify({
    time: `2026-12-07T10:00:${String(second).padStart(2, "0")}.000Z`,
    level: "info",
    service,
    msg,
  });

describe("facetracker logs", () => {
  it("prints every service's lines merged by time, one service's, the last N; -f follows across a rotation", async () => {
    const data = await mkdtemp(path.join(os.tmpdir(), "ft-logs-cli-"));
    const logs = path.join(data, "logs");
    const detect = new RotatingLogFile(path.join(logs, "detect.log"), { maxBytes: 200, files: 3 });
    const ingest = new RotatingLogFile(path.join(logs, "ingest.log"));
    try {
      for (const s of [1, 3, 5]) detect.write(line("detect", s, `d${s}`)); // rotated after two lines
      for (const s of [2, 4]) ingest.write(line("ingest", s, `i${s}`));
      const all = await runCli(["logs", "--data", data]);
      assert.equal(all.code, 0, all.err);
      assert.deepEqual(
        all.out.trim().split("\n"),
        ["d1", "i2", "d3", "i4", "d5"].map(
          (m) => `2026-12-07T10:00:0${m[1]}.000Z info  ${m[0] === "d" ? "detect" : "ingest"}: ${m}`,
        ),
      );
      const json = await runCli(["logs", "--data", data, "--json", "-n", "2", "detect"]);
      assert.equal(json.code, 0, json.err);
      assert.deepEqual(
        json.out
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).msg),
        ["d3", "d5"],
      );
      const unknown = await runCli(["logs", "--data", data, "nope"]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.err, /no log of service 'nope' in .* \(services: detect, ingest\)/);

      const follow = spawn(
        process.execPath,
        [path.join(repoRoot, "packages/cli/src/main.ts"), "logs", "-f", "-n", "1", "--data", data, "detect"],
        {
          cwd: repoRoot,
        },
      );
      let out = "";
      follow.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      try {
        await waitFor(() => out.includes(": d5"), "the last line", 20_000);
        assert.ok(!out.includes(": d3"), out);
        for (const s of [6, 7, 8]) detect.write(line("detect", s, `d${s}`)); // rotates again
        await waitFor(() => out.includes(": d8"), "the lines written since, across the rotation", 20_000);
        assert.deepEqual(
          out
            .trim()
            .split("\n")
            .map((l) => l.split(": ")[1]),
          ["d5", "d6", "d7", "d8"],
        );
      } finally {
        follow.kill("SIGINT");
      }
      assert.equal((await new Promise((resolve) => follow.once("exit", resolve))) as number, 0);
    } finally {
      detect.close();
      ingest.close();
      await rm(data, { recursive: true, force: true });
    }
  });
});
