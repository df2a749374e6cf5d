/**
 * Structured JSON logs: one object per line, `{ time, level, service, msg, ...fields }`, on stdout unless
 * another stream is given. Error objects anywhere in the fields are written as { name, message, stack }
 * (plus code and cause when they have them).
 */

import type { EnvSource } from "./env-config.ts";
import { envEnum } from "./env-config.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variable that sets the lowest level written when createLogger is given none. */
export const LOG_LEVEL_ENV = "FACETRACKER_LOG_LEVEL";

export type LogFields = Record<string, unknown>;

/** One parsed log line. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  service: string;
  msg: string;
  [field: string]: unknown;
}

/** Where lines go: anything with write(string), e.g. process.stdout or a test collector. */
export interface LogStream {
  write(chunk: string): unknown;
}

export interface LoggerOptions {
  /** Lowest level written (default: FACETRACKER_LOG_LEVEL, else "info"). */
  level?: LogLevel;
  /** Default process.stdout. */
  stream?: LogStream;
  /** Where FACETRACKER_LOG_LEVEL is read from (default process.env). */
  env?: EnvSource;
  /** Clock for the `time` field (default: now). */
  now?: () => Date;
}

export interface Logger {
  readonly service: string;
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a line at `level` would be written. */
  isLevelEnabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every line (a call's own fields win over them). */
  child(fields: LogFields): Logger;
}

/** Keys every line has; fields with these names are ignored rather than allowed to overwrite them. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["time", "level", "service", "msg"]);

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: unknown;
}

/** An Error as plain data; `cause` (when set) is serialised the same way. */
export function serializeError(error: Error): SerializedError {
  const serialized: SerializedError = { name: error.name, message: error.message };
  if (error.stack !== undefined) serialized.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") serialized.code = code;
  if (error.cause !== undefined) serialized.cause = error.cause;
  return serialized;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

function formatLine(record: LogFields): string {
  try {
    return JSON.stringify(record, jsonReplacer);
  } catch (error) {
    // Circular fields, a throwing toJSON…: keep the line, say why the fields are missing.
    const { time, level, service, msg } = record;
    const reason = error instanceof Error ? error.message : String(error);
    return JSON.stringify({
      time,
      level,
      service,
      msg,
      logFieldsError: `fields not serialisable: ${reason}`,
    });
  }
}

/** A logger for `service`. Throws an EnvConfigError when FACETRACKER_LOG_LEVEL is set to something else. */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const level =
    options.level ??
    envEnum(LOG_LEVEL_ENV, LOG_LEVELS, "info", options.env ? { env: options.env } : undefined);
  const stream = options.stream ?? process.stdout;
  const now = options.now ?? (() => new Date());
  return makeLogger(service, level, LOG_LEVELS.indexOf(level), stream, now, {});
}

function makeLogger(
  service: string,
  level: LogLevel,
  minRank: number,
  stream: LogStream,
  now: () => Date,
  bound: LogFields,
): Logger {
  const write = (lineLevel: LogLevel, msg: string, fields: LogFields | undefined) => {
    if (LOG_LEVELS.indexOf(lineLevel) < minRank) return;
    const record: LogFields = { time: now().toISOString(), level: lineLevel, service, msg };
    for (const source of [bound, fields ?? {}]) {
      for (const [key, value] of Object.entries(source)) {
        if (!RESERVED_KEYS.has(key)) record[key] = value;
      }
    }
    stream.write(`${formatLine(record)}\n`);
  };
  return {
    service,
    level,
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    isLevelEnabled: (candidate) => LOG_LEVELS.indexOf(candidate) >= minRank,
    child: (fields) => makeLogger(service, level, minRank, stream, now, { ...bound, ...fields }),
  };
}

/** Parses log output (one JSON object per line; blank lines skipped). Throws on a line that is not one. */
export function parseLogLines(text: string): LogRecord[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error(`log line is not a JSON object: ${line}`);
      }
      return parsed as LogRecord;
    });
}
