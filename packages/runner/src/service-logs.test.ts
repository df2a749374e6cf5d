import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { claimPort, PortInUseError } from "./free-port.ts";
import { logFilesOf, loggedServices, RotatingLogFile } from "./service-logs.ts";

describe("service log files", () => {
  it("rotate by size, keep the given number of files, and list oldest first", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-logs-"));
    try {
      const file = new RotatingLogFile(path.join(dir, "detect.log"), { maxBytes: 100, files: 2 });
      const line = (i: number) => JSON.stringify({ time: `t${i}`, msg: "x".repeat(20) }); // 38 bytes + \n
      for (let i = 1; i <= 10; i++) file.write(line(i));
      file.close();
      assert.deepEqual(loggedServices(dir), ["detect"]);
      const files = logFilesOf(dir, "detect");
      assert.deepEqual(
        files.map((f) => path.basename(f)),
        ["detect.log.2", "detect.log.1", "detect.log"],
      );
      const kept = (await Promise.all(files.map((f) => readFile(f, "utf8")))).join("").trim().split("\n");
      // Two lines a file (a third would pass 100 bytes); the oldest file beyond two rotated ones is gone.
      assert.deepEqual(
        kept.map((l) => JSON.parse(l).time),
        ["t5", "t6", "t7", "t8", "t9", "t10"],
      );
      // A new writer appends to the current file, counting what it holds.
      const again = new RotatingLogFile(path.join(dir, "detect.log"), { maxBytes: 100, files: 2 });
      again.write(line(11));
      again.close();
      assert.deepEqual(
        (await readFile(path.join(dir, "detect.log.1"), "utf8"))
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).time),
        ["t9", "t10"],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("claimPort", () => {
  it("refuses a taken port, naming it and its holder; 0 is any free port", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      await assert.rejects(claimPort(port, "127.0.0.1", "api.http_port"), (error: unknown) => {
        assert.ok(error instanceof PortInUseError);
        assert.equal(error.port, port);
        assert.match(
          error.message,
          new RegExp(`^api\\.http_port ${port} is taken on 127\\.0\\.0\\.1 by pid ${process.pid} \\(.*node`),
        );
        return true;
      });
      const free = await claimPort(0, "127.0.0.1", "api.port");
      assert.ok(free > 0 && free !== port);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
