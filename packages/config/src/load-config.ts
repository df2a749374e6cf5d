import { readFileSync } from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { configSchema, type FaceTrackerConfig, type FaceTrackerConfigInput } from "./schema.ts";

export class ConfigError extends Error {
  /** One line per problem, each naming the key. */
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid configuration (${source}): ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Environment variables read: FACETRACKER_<KEY>, nested keys joined with "__", e.g. FACETRACKER_QDRANT__URL. */
export const ENV_PREFIX = "FACETRACKER_";

/** FACETRACKER_* variables that are not configuration keys (FACETRACKER_CONFIG, _MODELS_DIR, _LOG_LEVEL, _HTTP_PORT, _PARENT_PID, _EXIT_WHEN_DONE, _INSTANCE). */
const NOT_CONFIG_KEYS = new Set([
  "config",
  "models_dir",
  "log_level",
  "http_port",
  "parent_pid",
  "exit_when_done",
  // A partitioned service's instance ID (ingest, track: see CameraLeases in @facetracker/bus).
  "instance",
]);

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

function describeKey(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join(".") : "(root)";
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) node = isTree(node) ? node[key as string] : undefined;
  return node;
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = describeKey(issue.path);
  if (issue.code === "unrecognized_keys") {
    const parent = issue.path.length ? `${describeKey(issue.path)}.` : "";
    return issue.keys.map((k) => `unknown key '${parent}${k}'`).join("; ");
  }
  if (issue.code === "invalid_value" && "values" in issue) {
    return `${key}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (issue.code === "invalid_type") {
    const value = valueAt(input, issue.path);
    // A secret is not repeated (a password of digits only is read from the environment as a number).
    const shown = /^(pass|token|secret_key|link_secret)$/.test(String(issue.path.at(-1)))
      ? "a value"
      : JSON.stringify(value);
    return `${key}: expected ${issue.expected}${value === undefined ? " (missing)" : `, got ${shown}`}`;
  }
  return `${key}: ${issue.message}`;
}

/** Validates a plain object against the schema; throws ConfigError listing every problem with its key. */
export function parseConfig(input: unknown, source = "config"): FaceTrackerConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success)
    throw new ConfigError(
      source,
      result.error.issues.map((i) => formatIssue(i, input)),
    );
  return result.data;
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isTree(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

/** FACETRACKER_* variables as a config tree; values are parsed as YAML scalars (numbers, booleans, lists). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Tree {
  const tree: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const keyPath = name.slice(ENV_PREFIX.length).toLowerCase().split("__");
    if (NOT_CONFIG_KEYS.has(keyPath[0] as string)) continue;
    let value: unknown = raw;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    setPath(tree, keyPath, value ?? raw);
  }
  return tree;
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isTree(v) && isTree(out[k]) ? merge(out[k] as Tree, v) : v;
  return out;
}

export interface LoadOptions {
  /** YAML file; default $FACETRACKER_CONFIG when set. A missing file given explicitly is an error. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Highest precedence (e.g. CLI flags). */
  overrides?: FaceTrackerConfigInput;
}

/**
 * What the configuration sets before the defaults fill in the rest: the YAML file < FACETRACKER_*
 * environment < overrides, merged, and where it came from.
 */
export function loadConfigInput(options: LoadOptions = {}): { input: Tree; source: string } {
  const env = options.env ?? process.env;
  const file = options.file ?? env.FACETRACKER_CONFIG;
  let fromFile: Tree = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(file, [code === "ENOENT" ? "file not found" : `cannot read (${code})`]);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (error) {
      const where =
        error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : "";
      throw new ConfigError(file, [`not valid YAML${where}: ${(error as Error).message.split("\n")[0]}`]);
    }
    if (doc !== null && doc !== undefined && !isTree(doc))
      throw new ConfigError(file, ["top level must be a mapping of keys"]);
    fromFile = (doc as Tree | null) ?? {};
  }
  const merged = merge(merge(fromFile, configFromEnv(env)), (options.overrides ?? {}) as Tree);
  const sources = [file, Object.keys(configFromEnv(env)).length ? "environment" : undefined].filter(Boolean);
  return { input: merged, source: sources.length ? sources.join(" + ") : "defaults" };
}

/** Loads configuration: defaults < YAML file < FACETRACKER_* environment < overrides. */
export function loadConfig(options: LoadOptions = {}): FaceTrackerConfig {
  const { input, source } = loadConfigInput(options);
  return parseConfig(input, source);
}

/** Whether a configuration input sets `key` (dotted, e.g. "api.port") itself, rather than leaving it default. */
export function setsKey(input: Tree, key: string): boolean {
  let node: unknown = input;
  for (const part of key.split(".")) {
    if (!isTree(node) || !(part in node)) return false;
    node = node[part];
  }
  return node !== undefined;
}
