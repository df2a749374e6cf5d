import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { findStaleFiles, GENERATED_DIR, REPO_ROOT } from "./codegen.ts";

function hasProtoc(): boolean {
  try {
    execFileSync(process.env.PROTOC ?? "protoc", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

const skip = hasProtoc() ? false : "protoc not installed (apt-get install protobuf-compiler)";

describe("code generation", { skip }, () => {
  let copy: string;
  before(async () => {
    copy = await mkdtemp(join(tmpdir(), "ft-proto-test-"));
    await cp(GENERATED_DIR, copy, { recursive: true });
  });
  after(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it("pnpm proto:check passes on the committed code", () => {
    const output = execFileSync(
      process.execPath,
      [join(REPO_ROOT, "packages/proto/src/generate-cli.ts"), "--check"],
      {
        encoding: "utf8",
      },
    );
    assert.match(output, /up to date/);
  });

  it("names the files that differ from what proto/ generates", async () => {
    await writeFile(join(copy, "facetracker/v1/alert.ts"), "// edited by hand\n");
    await unlink(join(copy, "facetracker/v1/clip.ts"));
    await writeFile(join(copy, "facetracker/v1/old.ts"), "export {};\n");
    assert.deepEqual(await findStaleFiles(copy), [
      "facetracker/v1/alert.ts (changed)",
      "facetracker/v1/clip.ts (missing)",
      "facetracker/v1/old.ts (no longer generated)",
    ]);
  });
});
