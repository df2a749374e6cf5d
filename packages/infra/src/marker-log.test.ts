import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MarkerLog, MarkerLogError } from "./marker-log.ts";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function markerPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ft-marker-log-"));
  dirs.push(dir);
  return join(dir, "state", "marks.log");
}

const DAY = 86_400_000;

describe("MarkerLog", () => {
  it("keeps what was set across a reopen, the newest value of a key winning", async () => {
    const path = await markerPath();
    const log = await MarkerLog.open<{ n: number }>(path, { maxAgeMs: DAY });
    assert.equal(log.has("a"), false);
    await log.set([
      ["a", { n: 1 }],
      ["b", { n: 2 }],
    ]);
    await log.set([["a", { n: 3 }]]);
    assert.deepEqual(log.get("a"), { n: 3 });
    await log.close();
    const again = await MarkerLog.open<{ n: number }>(path, { maxAgeMs: DAY });
    assert.deepEqual(again.entries(), [
      ["b", { n: 2 }],
      ["a", { n: 3 }],
    ]);
    await again.close();
    await assert.rejects(again.set([["c", { n: 4 }]]), /closed/);
  });

  it("keeps a mark whose set() resolved when the writing process is SIGKILLed right after", async () => {
    const path = await markerPath();
    const module = fileURLToPath(new URL("./marker-log.ts", import.meta.url));
    const script = `
      const { MarkerLog } = await import(${JSON.stringify(module)});
      const log = await MarkerLog.open(${JSON.stringify(path)}, { maxAgeMs: ${DAY} });
      for (let i = 0; i < 50; i++) await log.set([["alert-" + i, { sent: true }]]);
      process.stdout.write("marked\\n");
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await once(child.stdout, "data");
    child.kill("SIGKILL");
    await once(child, "exit");
    const log = await MarkerLog.open(path, { maxAgeMs: DAY });
    assert.equal(log.size, 50);
    assert.deepEqual(log.get("alert-49"), { sent: true });
    await log.close();
  });

  it("cuts off a torn last line (a crash mid-write) and appends after the last whole record", async () => {
    const path = await markerPath();
    const log = await MarkerLog.open(path, { maxAgeMs: DAY });
    await log.set([["whole", 1]]);
    await log.close();
    await appendFile(path, '{"t":1,"k":"torn","v"');
    const again = await MarkerLog.open(path, { maxAgeMs: DAY });
    assert.equal(again.has("torn"), false);
    await again.set([["next", 2]]);
    await again.close();
    const lines = (await readFile(path, "utf8")).split("\n");
    assert.deepEqual(
      lines.filter(Boolean).map((l) => JSON.parse(l).k),
      ["whole", "next"],
    );
  });

  it("refuses a damaged line that is not the last one, naming the file and the line", async () => {
    const path = await markerPath();
    const log = await MarkerLog.open(path, { maxAgeMs: DAY });
    await log.close();
    await writeFile(path, `${JSON.stringify({ t: Date.now(), k: "a", v: 1 })}\nnot json\n`);
    await assert.rejects(MarkerLog.open(path, { maxAgeMs: DAY }), (error: unknown) => {
      assert.ok(error instanceof MarkerLogError);
      assert.match(error.message, new RegExp(`${path.replaceAll("/", "\\/")} is damaged at line 2`));
      return true;
    });
  });

  it("forgets records older than maxAgeMs at open and rewrites the file without them", async () => {
    const path = await markerPath();
    let now = 10 * DAY;
    const log = await MarkerLog.open(path, { maxAgeMs: DAY, now: () => now });
    await log.set([
      ["old-1", 1],
      ["old-2", 2],
    ]);
    now += DAY / 2;
    await log.set([["recent", 3]]);
    await log.close();
    now += DAY * 0.75;
    const again = await MarkerLog.open(path, { maxAgeMs: DAY, now: () => now });
    assert.deepEqual(again.entries(), [["recent", 3]]);
    await again.close();
    assert.equal((await readFile(path, "utf8")).trim().split("\n").length, 1, "the file was rewritten");
  });

  it("checks maxAgeMs", async () => {
    await assert.rejects(MarkerLog.open(await markerPath(), { maxAgeMs: 0 }), /maxAgeMs must be a positive/);
  });
});
