/**
 * A real SMTP server for tests: Debian's aiosmtpd (`/usr/bin/aiosmtpd`) on a free port of 127.0.0.1,
 * storing what it receives in a Maildir.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";

export const AIOSMTPD = "/usr/bin/aiosmtpd";

/** Why the SMTP tests cannot run here, or undefined when they can. */
export function aiosmtpdMissing(): string | undefined {
  return existsSync(AIOSMTPD)
    ? undefined
    : `${AIOSMTPD} is missing (install the Debian package python3-aiosmtpd)`;
}

/** A running SMTP server. */
export interface SmtpServer {
  port: number;
  /** The raw messages delivered so far (RFC 5322 text). */
  messages(): Promise<string[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts aiosmtpd with the Mailbox handler writing to `<dir>/maildir` (created by aiosmtpd). */
export async function startSmtpServer(dir: string): Promise<SmtpServer> {
  const port = await freePort();
  const maildir = join(dir, "maildir");
  const child: ChildProcess = spawn(
    AIOSMTPD,
    ["-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", maildir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 20_000; // detects a hang, not a performance bound
  while (!(await canConnect(port))) {
    if (gone) throw new Error(`aiosmtpd exited before listening on port ${port}: ${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`aiosmtpd did not listen on port ${port}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    async messages() {
      const newDir = join(maildir, "new");
      if (!existsSync(newDir)) return [];
      const names = (await readdir(newDir)).sort();
      return Promise.all(names.map((name) => readFile(join(newDir, name), "utf8")));
    },
    async stop() {
      if (!gone) child.kill("SIGTERM");
      await exited;
    },
  };
}
