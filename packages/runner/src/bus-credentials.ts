/**
 * The credentials of the pipeline's private nats-server: a password per bus user, generated on the first
 * start and kept in DATA/nats-auth.json (0600, read again at every start so that a service restarted
 * later, or the CLI, uses the same ones), and the server configuration written from them
 * (DATA/nats-server.conf, 0600; given to nats-server with `-c`, never on its command line). Rotating
 * them: stop `up`, delete nats-auth.json, start `up` again.
 */

import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "@facetracker/infra";
import { BUS_USERS, type BusUser, natsServerConfig } from "./bus-permissions.ts";

/** File names under the data directory. */
export const BUS_AUTH_FILE = "nats-auth.json";
export const NATS_CONFIG_FILE = "nats-server.conf";

/** A user's name and password. */
export interface BusCredential {
  user: BusUser;
  pass: string;
}

/** The passwords of every bus user. */
export interface BusCredentials {
  /** Where they are kept. */
  readonly file: string;
  /** The nats-server configuration written from them. */
  readonly configFile: string;
  of(user: BusUser): BusCredential;
}

/** A password that reads back as a string from YAML and the environment (letters, digits, '_', '-'). */
function newPassword(): string {
  return `ft_${randomBytes(24).toString("base64url")}`;
}

/** Writes `text` to `file` with mode 0600 (a temporary file renamed over it). */
async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const handle = await open(tmp, "w", 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function readPasswords(file: string): Promise<Partial<Record<BusUser, string>>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${file}: not valid JSON (${(error as Error).message}); delete it to generate new bus credentials`,
    );
  }
  const users = (parsed as { users?: unknown } | null)?.users;
  if (typeof users !== "object" || users === null) {
    throw new Error(`${file}: no "users" object; delete it to generate new bus credentials`);
  }
  const out: Partial<Record<BusUser, string>> = {};
  for (const [user, pass] of Object.entries(users)) {
    if ((BUS_USERS as string[]).includes(user) && typeof pass === "string" && /^[\w-]{16,}$/.test(pass)) {
      out[user as BusUser] = pass;
    }
  }
  return out;
}

/**
 * Loads the bus credentials kept in `dataDir` (generating the missing ones, file mode 0600) and writes
 * the nats-server configuration that requires them.
 */
export async function prepareBusCredentials(dataDir: string): Promise<BusCredentials> {
  const file = path.join(dataDir, BUS_AUTH_FILE);
  const configFile = path.join(dataDir, NATS_CONFIG_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const kept = await readPasswords(file);
  const passwords = Object.fromEntries(BUS_USERS.map((u) => [u, kept[u] ?? newPassword()])) as Record<
    BusUser,
    string
  >;
  if (BUS_USERS.some((u) => kept[u] !== passwords[u])) {
    await writePrivate(file, `${JSON.stringify({ version: 1, users: passwords }, null, 2)}\n`);
  } else {
    await chmod(file, 0o600); // kept private even if someone loosened it
  }
  await writePrivate(configFile, natsServerConfig(passwords));
  return {
    file,
    configFile,
    of: (user) => ({ user, pass: passwords[user] }),
  };
}

/**
 * The credentials of `user` for the private nats-server of the run whose data directory is `dataDir`
 * (e.g. the read-only "observer", for a tool that watches a running `up`).
 */
export async function readBusCredential(dataDir: string, user: BusUser): Promise<BusCredential> {
  const file = path.join(dataDir, BUS_AUTH_FILE);
  const pass = (await readPasswords(file))[user];
  if (!pass)
    throw new Error(`${file}: no password for the bus user ${JSON.stringify(user)} (has up run here?)`);
  return { user, pass };
}
