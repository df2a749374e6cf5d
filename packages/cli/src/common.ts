import { existsSync, statSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import {
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  loadConfigInput,
  parseConfig,
  setsKey,
} from "@facetracker/config";
import { snakeCaseKeys } from "@facetracker/infra";
import { FaceRecognizer } from "@facetracker/sdk";
import { CliError } from "./cli-error.ts";
import { inputFile, STDIO } from "./stdio.ts";

/**
 * One option of a command, as parseArgs takes it plus what `facetracker COMMAND --help` prints: `arg` (the
 * value's placeholder), `help`, and `defaultText` (what applies when it is not given; booleans: off).
 */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  arg?: string;
  help: string;
  /** What applies when the option is not given (printed by --help; not parseArgs' `default`). */
  defaultText?: string;
}

export type OptionTable = Record<string, OptionSpec>;

const builtIn = parseConfig({});

export const globalOptions = {
  config: {
    type: "string",
    arg: "FILE",
    help: "YAML configuration ('-': standard input); see docs/configuration.md",
    defaultText: "$FACETRACKER_CONFIG, else built-in defaults",
  },
  db: {
    type: "string",
    arg: "DIR",
    help: "embedded gallery directory (config key db_path)",
    defaultText: builtIn.db_path,
  },
  threshold: {
    type: "string",
    arg: "X",
    help: "cosine_similarity_threshold for this run",
    defaultText: `the configuration's (built in: ${builtIn.cosine_similarity_threshold})`,
  },
  help: { type: "boolean", short: "h", help: "this command's usage and options" },
} as const satisfies OptionTable;

/** The option lines of `--help`: `  --name ARG   help (default: …)`. */
export function formatOptions(options: OptionTable): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.arg ? ` ${o.arg}` : ""}${o.multiple ? " ..." : ""}`;
    const fallback = o.defaultText ?? (o.type === "boolean" ? "off" : "none");
    return [flag, `${o.help} (default: ${fallback})`] as const;
  });
  const width = Math.min(28, Math.max(...rows.map(([flag]) => flag.length)));
  return rows
    .map(([flag, text]) =>
      flag.length > width ? `  ${flag}\n  ${" ".repeat(width)}  ${text}` : `  ${flag.padEnd(width)}  ${text}`,
    )
    .join("\n");
}

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
export function configFrom(values: CommonValues): FaceTrackerConfig {
  return configAndKeysFrom(values).config;
}

/** configFrom, and whether the file, the environment or the flags set a key themselves ("api.port"). */
export function configAndKeysFrom(values: CommonValues): {
  config: FaceTrackerConfig;
  sets: (key: string) => boolean;
} {
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
  const { input, source } = loadConfigInput({ file: configFile(values.config), overrides });
  return { config: parseConfig(input, source), sets: (key) => setsKey(input, key) };
}

let stdinConfig: string | undefined;

/** --config as a file: `-` is standard input (read once, kept for the run). */
function configFile(given: string | undefined): string | undefined {
  if (given !== STDIO) return given;
  stdinConfig ??= inputFile(STDIO, "--config", "stdin.yaml");
  return stdinConfig;
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

/**
 * A value as the CLI's --json prints it: keys in snake_case (the project's one JSON style), dates as ISO
 * strings; the keys of user data (`attributes`) are kept as given.
 */
export const jsonStyle = snakeCaseKeys;

/** Prints `value` as indented JSON in the CLI's style (jsonStyle). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(jsonStyle(value), null, 2));
}
