/**
 * Service options from environment variables. Each reader trims the value, treats an unset or blank
 * variable as "use the default" (or an error when there is none), and throws an EnvConfigError that names
 * the variable, the form it must take and the value it got.
 */

/** Where variables are read from: process.env unless a test passes its own. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface EnvReadOptions {
  env?: EnvSource;
}

export interface EnvIntOptions extends EnvReadOptions {
  min?: number;
  max?: number;
}

/** A variable that is missing or does not have the required form. */
export class EnvConfigError extends Error {
  /** The variable's name. */
  readonly variable: string;
  /** The raw value, or undefined when the variable was not set. */
  readonly value: string | undefined;

  constructor(variable: string, expected: string, value: string | undefined) {
    super(
      value === undefined
        ? `${variable} is required: it must be ${expected}, but it is not set`
        : `${variable} must be ${expected}, got '${value}'`,
    );
    this.name = "EnvConfigError";
    this.variable = variable;
    this.value = value;
  }
}

/** The trimmed value, or undefined when the variable is unset or blank. */
function readRaw(name: string, options: EnvReadOptions | undefined): string | undefined {
  const value = (options?.env ?? process.env)[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** A non-empty string; `defaultValue` when unset, an error when unset and there is no default. */
export function envString(name: string, defaultValue?: string, options?: EnvReadOptions): string {
  const raw = readRaw(name, options);
  if (raw !== undefined) return raw;
  if (defaultValue !== undefined) return defaultValue;
  throw new EnvConfigError(name, "a non-empty string", undefined);
}

function describeIntRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `an integer ${min}–${max}`;
  if (min !== undefined) return `an integer ≥ ${min}`;
  if (max !== undefined) return `an integer ≤ ${max}`;
  return "an integer";
}

/**
 * A decimal integer within [min, max] (both optional, inclusive). `defaultValue` undefined makes the
 * variable required. The default itself is not range-checked: it is the caller's constant.
 */
export function envInt(name: string, defaultValue: number | undefined, options?: EnvIntOptions): number {
  const { min, max } = options ?? {};
  const expected = describeIntRange(min, max);
  const raw = readRaw(name, options);
  if (raw === undefined) {
    if (defaultValue !== undefined) return defaultValue;
    throw new EnvConfigError(name, expected, undefined);
  }
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (
    !Number.isSafeInteger(value) ||
    (min !== undefined && value < min) ||
    (max !== undefined && value > max)
  ) {
    throw new EnvConfigError(name, expected, raw);
  }
  return value;
}

const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

/** true/1/yes/on or false/0/no/off, any case. `defaultValue` undefined makes the variable required. */
export function envBool(name: string, defaultValue: boolean | undefined, options?: EnvReadOptions): boolean {
  const expected = "a boolean (true/false, 1/0, yes/no, on/off)";
  const raw = readRaw(name, options);
  if (raw === undefined) {
    if (defaultValue !== undefined) return defaultValue;
    throw new EnvConfigError(name, expected, undefined);
  }
  const word = raw.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new EnvConfigError(name, expected, raw);
}

/**
 * A comma-separated list; items are trimmed and empty items dropped ("a, b,,c" is ["a", "b", "c"]).
 * A value with no item (",,") counts as unset. `defaultValue` undefined makes the variable required.
 */
export function envList(name: string, defaultValue?: readonly string[], options?: EnvReadOptions): string[] {
  const expected = "a comma-separated list of at least one item (e.g. 'a,b')";
  const raw = readRaw(name, options);
  const items =
    raw
      ?.split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "") ?? [];
  if (items.length > 0) return items;
  if (defaultValue !== undefined) return [...defaultValue];
  throw new EnvConfigError(name, expected, raw);
}

/** One of `allowed` (exact match after trimming). `defaultValue` undefined makes the variable required. */
export function envEnum<const T extends string>(
  name: string,
  allowed: readonly T[],
  defaultValue: NoInfer<T> | undefined,
  options?: EnvReadOptions,
): T {
  const expected = `one of ${allowed.join(", ")}`;
  const raw = readRaw(name, options);
  if (raw === undefined) {
    if (defaultValue !== undefined) return defaultValue;
    throw new EnvConfigError(name, expected, undefined);
  }
  const match = allowed.find((candidate) => candidate === raw);
  if (match === undefined) throw new EnvConfigError(name, expected, raw);
  return match;
}
