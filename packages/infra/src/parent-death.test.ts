import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { dieWithParent } from "./parent-death.ts";
import { isProcessAlive } from "./process-alive.ts";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("dieWithParent", () => {
  it("leaves a command that is not on PATH unchanged (spawn still says ENOENT)", () => {
    assert.deepEqual(dieWithParent("no-such-command-ft", ["a"]), {
      command: "no-such-command-ft",
      args: ["a"],
    });
  });

  it("a child started through it is killed when its parent is SIGKILLed", async (t) => {
    const wrapped = dieWithParent("sleep", ["60"]);
    if (wrapped.command === "sleep") return t.skip("setpriv is not installed here");
    // The parent: a node process that starts the wrapped child, prints its pid and waits.
    const script = `const { spawn } = require("node:child_process");
      const c = spawn(${JSON.stringify(wrapped.command)}, ${JSON.stringify(wrapped.args)}, { stdio: "ignore" });
      console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const childPid = await new Promise<number>((resolve) =>
      parent.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    // setpriv execs the command: the pid is sleep's once it has started.
    for (let i = 0; i < 50 && !readFileSync(`/proc/${childPid}/cmdline`, "utf8").startsWith("sleep"); i++)
      await wait(20);
    assert.ok(isProcessAlive(childPid), "the child runs while its parent lives");
    parent.kill("SIGKILL");
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await wait(20);
      alive = isProcessAlive(childPid) && !readFileSync(`/proc/${childPid}/stat`, "utf8").includes(") Z ");
    }
    assert.equal(alive, false, "the child died with its parent");
  });
});
