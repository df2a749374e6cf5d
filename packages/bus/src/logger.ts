/** What the bus helpers log through: structurally a subset of @facetracker/service-kit's Logger. */
export interface BusLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function line(level: string, msg: string, fields?: Record<string, unknown>): string {
  const extra = fields
    ? Object.entries(fields)
        .map(([key, value]) => `${key}=${value instanceof Error ? value.message : JSON.stringify(value)}`)
        .join(" ")
    : "";
  return `[bus] ${level} ${msg}${extra ? ` ${extra}` : ""}`;
}

/** Default logger: one line per event on stderr. */
export const stderrLogger: BusLogger = {
  info: (msg, fields) => console.error(line("info", msg, fields)),
  warn: (msg, fields) => console.error(line("warn", msg, fields)),
  error: (msg, fields) => console.error(line("error", msg, fields)),
};
