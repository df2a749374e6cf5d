import { existsSync, statSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type FaceTrackerConfigInput, loadConfig } from "@facetracker/config";
import { FaceRecognizer } from "@facetracker/sdk";
import { CliError } from "./cli-error.ts";

export const globalOptions = {
  config: { type: "string" },
  db: { type: "string" },
  threshold: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** parseArgs in strict mode, with its errors turned into one-line usage errors. */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({
      args,
      options: { ...globalOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const msg = (error as Error).message
      .split("\n")[0]
      ?.replace(/^Unknown option/, "unknown option")
      .replace(/\. To specify a positional.*$/, "");
    throw new CliError(`${msg}\nusage: ${usage}`, 2);
  }
}

export interface CommonValues {
  config?: string;
  db?: string;
  threshold?: string;
}

/** Loads the configuration with the CLI's overrides (--db, --threshold). */
export function configFrom(values: CommonValues) {
  const overrides: FaceTrackerConfigInput = {};
  if (values.db !== undefined) {
    overrides.db_path = values.db;
    overrides.gallery = { backend: "embedded" };
  }
  if (values.threshold !== undefined) {
    const t = Number(values.threshold);
    if (!Number.isFinite(t))
      throw new CliError(`--threshold: expected a number, got '${values.threshold}'`, 2);
    overrides.cosine_similarity_threshold = t;
  }
  return loadConfig({ file: values.config, overrides });
}

/** Opens a recognizer; `mustExist` refuses an embedded gallery directory that is not there (likely a typo). */
export async function openRecognizer(values: CommonValues, mustExist: boolean): Promise<FaceRecognizer> {
  const config = configFrom(values);
  if (mustExist && config.gallery.backend === "embedded" && !existsSync(config.db_path)) {
    throw new CliError(
      `no gallery at ${config.db_path}: enroll someone first ('facetracker enroll --db ${config.db_path} --name NAME PHOTO...')`,
    );
  }
  if (
    config.gallery.backend === "embedded" &&
    existsSync(config.db_path) &&
    !statSync(config.db_path).isDirectory()
  ) {
    throw new CliError(`gallery path ${config.db_path} is not a directory`);
  }
  return FaceRecognizer.create(config);
}

export function requireFiles(files: string[], what: string, usage: string): void {
  if (files.length === 0) throw new CliError(`no ${what} given\nusage: ${usage}`, 2);
}

export const fmt = (n: number, digits = 3) => n.toFixed(digits);
