import { installModels } from "./install.ts";
import { modelsDir } from "./manifest.ts";

try {
  const report = await installModels({ log: (line) => console.log(`models: ${line}`) });
  const total = report.present.length + report.installed.length;
  console.log(
    `models: ${total} files ready in ${modelsDir()} (${report.installed.length} fetched, ${report.present.length} already present)`,
  );
} catch (error) {
  console.error(`models: install failed: ${(error as Error).message}`);
  process.exit(1);
}
