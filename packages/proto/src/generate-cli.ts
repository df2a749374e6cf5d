// pnpm proto        regenerates packages/proto/src/gen from proto/
// pnpm proto:check  fails when the committed generated code differs from what proto/ generates
import { relative } from "node:path";
import { findStaleFiles, GENERATED_DIR, REPO_ROOT, regenerate } from "./codegen.ts";

async function main(check: boolean): Promise<number> {
  const where = relative(REPO_ROOT, GENERATED_DIR);
  if (check) {
    const stale = await findStaleFiles();
    if (stale.length > 0) {
      console.error("generated code is stale: run pnpm proto");
      for (const file of stale) console.error(`  ${where}/${file}`);
      return 1;
    }
    console.log(`proto: ${where} is up to date`);
    return 0;
  }
  const files = await regenerate();
  console.log(`proto: generated ${files.length} files into ${where}`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.includes("--check"));
} catch (error) {
  console.error(`proto: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
