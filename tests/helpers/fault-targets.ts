/**
 * What the fault matrix kills: each service process of `facetracker up` and its nats-server, found in
 * /proc (Linux) as a user would with ps: a service runs services/<name>/src/main.ts with up's pid as its
 * FACETRACKER_PARENT_PID (also once up is gone: an orphan), the nats-server is the one whose command line
 * names the run's JetStream store.
 */

import { readdirSync, readFileSync } from "node:fs";
import { SERVICE_NAMES } from "@facetracker/service-host";

/** A service of the catalog, or the bus. */
export type FaultTarget = (typeof SERVICE_NAMES)[number] | "nats-server";

/** Every target: each service (one instance each) and nats-server. */
export const ALL_FAULT_TARGETS: readonly FaultTarget[] = [...SERVICE_NAMES, "nats-server"];

/** Parses a comma-separated list of targets (FAULT_TARGETS); an unknown name is an error that lists the known. */
export function parseFaultTargets(text: string | undefined): FaultTarget[] {
  if (!text?.trim()) return [...ALL_FAULT_TARGETS];
  return text.split(",").map((name) => {
    const target = name.trim() as FaultTarget;
    if (!ALL_FAULT_TARGETS.includes(target)) {
      throw new Error(`unknown fault target '${name}': expected some of ${ALL_FAULT_TARGETS.join(", ")}`);
    }
    return target;
  });
}

interface ProcEntry {
  pid: number;
  args: string[];
}

function processes(): ProcEntry[] {
  const found: ProcEntry[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      // A zombie (killed, not yet reaped) has an empty command line: it is gone.
      if (args.length > 0) found.push({ pid: Number(entry), args });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The FACETRACKER_PARENT_PID a process was started with (undefined: none, or not ours to read). */
function parentOf(pid: number): number | undefined {
  try {
    const variable = readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .find((v) => v.startsWith("FACETRACKER_PARENT_PID="));
    return variable ? Number(variable.slice("FACETRACKER_PARENT_PID=".length)) : undefined;
  } catch {
    return undefined;
  }
}

/** Pids of the live processes of `target` under the up process `upPid` with JetStream store `storeDir`. */
export function targetPids(target: FaultTarget, upPid: number, storeDir: string): number[] {
  return processes()
    .filter((p) =>
      target === "nats-server"
        ? /(^|\/)nats-server$/.test(p.args[0] ?? "") && p.args.includes(storeDir)
        : p.args.some((a) => a.endsWith(`/services/${target}/src/main.ts`)) && parentOf(p.pid) === upPid,
    )
    .map((p) => p.pid);
}

/** Every process that belongs to the run (its services and its nats-server), for the no-orphan check. */
export function runPids(upPid: number, storeDir: string): number[] {
  return ALL_FAULT_TARGETS.flatMap((t) => targetPids(t, upPid, storeDir));
}

/** The processes whose parent is `pid` (e.g. a service's ffmpeg or apprise), with their command names. */
export function childProcesses(pid: number): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid)
        found.push({ pid: Number(entry), command: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The command name of a process ("node", "apprise"), or "" when it is gone. */
export function commandOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  } catch {
    return "";
  }
}

/** Whether `pid` still runs the command it ran (not a zombie, not a reused pid of another command). */
export function stillRunning(child: { pid: number; command: string }): boolean {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) === child.command;
  } catch {
    return false;
  }
}
