/**
 * `facetracker logs [SERVICE] [-f]`: the services' JSON logs that `facetracker up` writes under its data
 * directory (DATA/logs/SERVICE.log, rotated by size), oldest first; every service's merged by time.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { LOG_DIR, logFilesOf, loggedServices } from "@facetracker/sdk";
import { CliError } from "../cli-error.ts";
import { type OptionTable, parse } from "../common.ts";

export const logsUsage = "facetracker logs [--data DIR] [-f] [-n N] [--json] [SERVICE]";

export const logsOptions = {
  data: {
    type: "string",
    arg: "DIR",
    help: "the data directory of the run ('facetracker up --data'); its logs are in DIR/logs",
    defaultText: "./data",
  },
  follow: { type: "boolean", short: "f", help: "keep printing lines as they are written (Ctrl-C stops)" },
  lines: {
    type: "string",
    short: "n",
    arg: "N",
    help: "only the last N lines",
    defaultText: "all; 10 with --follow",
  },
  json: { type: "boolean", help: "print the JSON log lines as written" },
} as const satisfies OptionTable;

interface Line {
  service: string;
  text: string;
  time: string;
}

const timeOf = (text: string) => /"time":"([^"]+)"/.exec(text)?.[1] ?? "";

/** A log line for people: `TIME LEVEL SERVICE: MSG key=value …`. */
export function formatLogLine(text: string, service: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `${service}: ${text}`;
  }
  const { time, level, service: own, msg, ...fields } = record;
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time ?? ""} ${String(level ?? "").padEnd(5)} ${own ?? service}: ${msg ?? ""}${extra ? ` ${extra}` : ""}`;
}

function linesOf(file: string, service: string): Line[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((text) => ({ service, text, time: timeOf(text) }));
}

export async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, logsOptions, logsUsage);
  if (positionals.length > 1) throw new CliError(`expected at most one service\nusage: ${logsUsage}`, 2);
  const follow = values.follow === true;
  const count = values.lines === undefined ? (follow ? 10 : Number.POSITIVE_INFINITY) : Number(values.lines);
  if (!(Number.isInteger(count) || count === Number.POSITIVE_INFINITY) || count < 0)
    throw new CliError(`--lines: expected a whole number, got '${values.lines}'\nusage: ${logsUsage}`, 2);
  const dataDir = values.data ?? "data";
  const dir = path.join(dataDir, LOG_DIR);
  const available = loggedServices(dir);
  if (available.length === 0)
    throw new CliError(
      `no service logs in ${dir}: 'facetracker up${values.data === undefined ? "" : ` --data ${dataDir}`}' writes them there`,
    );
  const [wanted] = positionals;
  if (wanted !== undefined && !available.includes(wanted))
    throw new CliError(`no log of service '${wanted}' in ${dir} (services: ${available.join(", ")})`);
  const services = () => (wanted === undefined ? loggedServices(dir) : [wanted]);
  const print = (service: string, text: string) =>
    console.log(values.json ? text : formatLogLine(text, service));

  // Where each service's current file was read up to (its inode tells a rotation).
  const positions = new Map<string, { ino: number; pos: number }>();
  const all: Line[] = [];
  for (const service of services()) {
    for (const file of logFilesOf(dir, service)) all.push(...linesOf(file, service));
    const current = path.join(dir, `${service}.log`);
    if (existsSync(current)) {
      const st = statSync(current);
      positions.set(service, { ino: st.ino, pos: st.size });
    }
  }
  // One service: its order as written; several: merged by time (a stable sort keeps each one's order).
  if (wanted === undefined) all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  for (const line of count >= all.length ? all : all.slice(all.length - count))
    print(line.service, line.text);
  if (!follow) return 0;

  const partial = new Map<string, string>();
  const readFrom = (file: string, service: string, from: number, to: number) => {
    if (to <= from) return;
    const fd = openSync(file, "r");
    try {
      const buffer = Buffer.alloc(to - from);
      readSync(fd, buffer, 0, buffer.length, from);
      const text = (partial.get(service) ?? "") + buffer.toString("utf8");
      const parts = text.split("\n");
      partial.set(service, parts.pop() ?? "");
      for (const part of parts) if (part) print(service, part);
    } finally {
      closeSync(fd);
    }
  };
  const poll = () => {
    for (const service of services()) {
      const current = path.join(dir, `${service}.log`);
      if (!existsSync(current)) continue;
      const st = statSync(current);
      const seen = positions.get(service) ?? { ino: st.ino, pos: 0 };
      if (seen.ino !== st.ino) {
        // Rotated: the rest of the file read so far (now SERVICE.log.1), then the new one from its start.
        const rotated = `${current}.1`;
        if (existsSync(rotated) && statSync(rotated).ino === seen.ino)
          readFrom(rotated, service, seen.pos, statSync(rotated).size);
        seen.ino = st.ino;
        seen.pos = 0;
      }
      if (st.size < seen.pos) seen.pos = 0; // truncated
      readFrom(current, service, seen.pos, st.size);
      positions.set(service, { ino: st.ino, pos: st.size });
    }
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(poll, 300);
    const stop = () => {
      clearInterval(timer);
      poll();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}
