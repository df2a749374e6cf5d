import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";

/** A configured port that another process holds: `facetracker up` refuses to move it elsewhere. */
export class PortInUseError extends Error {
  readonly port: number;
  /** The holder, where it could be found (a process of this user): "pid 123 (nginx -g …)". */
  readonly holder: string | undefined;
  constructor(key: string, host: string, port: number, holder: string | undefined) {
    super(
      `${key} ${port} is taken on ${host}${holder ? ` by ${holder}` : " (by a process this user cannot see)"}: ` +
        `stop it, or configure another port (${key}; 0 = any free port)`,
    );
    this.name = "PortInUseError";
    this.port = port;
    this.holder = holder;
  }
}

/** Binds `port` at `host` and lets it go: the port bound, or the error (EADDRINUSE, EACCES …). */
function tryListen(port: number, host: string): Promise<number | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error) => resolve(error));
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/** `wanted` when it is free at `host` (the address the listener will bind), else a free port. */
export async function freePort(wanted: number, host: string): Promise<number> {
  const first = await tryListen(wanted, host);
  if (typeof first === "number") return first;
  const any = await tryListen(0, host);
  if (typeof any === "number") return any;
  throw any;
}

/**
 * The port a listener will bind: `wanted` itself (0: a free one), which must be free at `host`; a taken one
 * is a PortInUseError naming `key`, the port and its holder (where /proc shows it).
 */
export async function claimPort(wanted: number, host: string, key: string): Promise<number> {
  const bound = await tryListen(wanted, host);
  if (typeof bound === "number") return bound;
  if (bound.code === "EADDRINUSE") throw new PortInUseError(key, host, wanted, portHolder(wanted));
  throw new Error(`${key} ${wanted} cannot be bound on ${host} (${bound.code ?? bound.message})`);
}

/**
 * The process listening on TCP `port` (any address), as "pid N (command line)", from /proc/net/tcp{,6}
 * and /proc/PID/fd (Linux; only processes this user may inspect); undefined when not found.
 */
export function portHolder(port: number): string | undefined {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, the inode is the tenth field.
      const local = f[1]?.split(":")[1];
      if (local && Number.parseInt(local, 16) === port && f[3] === "0A" && f[9] && f[9] !== "0")
        inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        let command = "";
        try {
          command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
        } catch {
          // exited meanwhile
        }
        return `pid ${pid}${command ? ` (${command.length > 120 ? `${command.slice(0, 117)}...` : command})` : ""}`;
      }
    }
  }
  return undefined;
}
