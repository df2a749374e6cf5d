/**
 * Loopback by default (issue 13): `facetracker up` as a user runs it, and every listening socket of its
 * process tree (up itself, each service process, nats-server), read from /proc/net/tcp{,6} and each
 * process's fds, is on 127.0.0.1; the banner prints those addresses. A configured listen_host (and a
 * per-listener web.listen) is honoured. /healthz and /metrics answer without the token, and reveal no
 * camera URL or its password.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { startUp, type UpProcess } from "./helpers/up-process.ts";

const TOKEN = "listen-test-token-1234";
const CAMERA_PASSWORD = "S3cretCamPw";

/** The pid and every descendant, from /proc's parent pids. */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** An address of /proc/net/tcp (hex, little-endian words) as text: 127.0.0.1, ::, ::ffff:127.0.0.1 … */
function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) {
    return `::ffff:${bytes.slice(12).join(".")}`;
  }
  const groups = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number),
  );
  return groups.every((g) => g === 0)
    ? "::"
    : groups
        .map((g) => g.toString(16))
        .join(":")
        .replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** Every listening TCP socket of the processes: "host:port" with the owning process's command name. */
function listeningSockets(pids: number[]): { address: string; port: number; command: string }[] {
  const listening = new Map<string, { address: string; port: number }>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== "0A") continue; // LISTEN
      const [addr = "", port = "0"] = (f[1] ?? "").split(":");
      listening.set(f[9] as string, { address: procAddress(addr), port: Number.parseInt(port, 16) });
    }
  }
  const found: { address: string; port: number; command: string }[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const command = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode ? listening.get(inode) : undefined;
      if (socket) found.push({ ...socket, command: /nats-server/.test(cmdline) ? "nats-server" : command });
    }
  }
  return found;
}

async function withUp(
  config: string,
  check: (up: UpProcess, dir: string) => Promise<void>,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ft-listen-"));
  const configFile = path.join(dir, "facetracker.yaml");
  await writeFile(configFile, config);
  let up: UpProcess | undefined;
  try {
    up = await startUp(configFile, dir, { env: { FACETRACKER_API__TOKEN: TOKEN, ...env } });
    await check(up, dir);
  } finally {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

describe("listeners bind loopback unless configured (facetracker up, services as processes)", () => {
  it("every listening socket of up's process tree is on 127.0.0.1, as the banner prints them; health and metrics show no camera URL", async () => {
    const config = [
      "api: { port: 0, http_port: 0 }",
      "cameras:",
      `  - { id: door, url: "rtsp://viewer:${CAMERA_PASSWORD}@127.0.0.1:1/stream" }`,
      "",
    ].join("\n");
    await withUp(
      config,
      async (up) => {
        const out = up.output();
        const sockets = listeningSockets(processTree(up.pid));
        // up's own health, the gRPC API, the web page, a health/metrics server per service (9), nats-server.
        assert.ok(sockets.length >= 12, `up's listeners:\n${JSON.stringify(sockets)}\n${out}`);
        assert.deepEqual(
          sockets.filter((s) => s.address !== "127.0.0.1"),
          [],
          `every listener on 127.0.0.1:\n${JSON.stringify(sockets)}`,
        );
        // The banner prints what is bound.
        const bound = new Set(sockets.map((s) => `${s.address}:${s.port}`));
        const printed = [...out.matchAll(/(?:gRPC API |http:\/\/)(\d+\.\d+\.\d+\.\d+:\d+)/g)].map(
          (m) => m[1],
        );
        assert.ok(printed.length >= 12, out);
        for (const address of printed)
          assert.ok(bound.has(address as string), `${address} is bound:\n${out}`);

        // Health and metrics answer without the token (loopback only), and reveal no camera URL.
        const urls = [...out.matchAll(/health (http:\/\/\S+)\/healthz/g)].map((m) => m[1] as string);
        assert.ok(urls.length >= 10, out);
        for (const base of urls) {
          for (const route of ["/healthz", "/metrics"]) {
            const response = await fetch(`${base}${route}`);
            const body = await response.text();
            assert.ok(
              response.status === 200 || response.status === 503,
              `${base}${route}: ${response.status}`,
            );
            assert.doesNotMatch(body, new RegExp(`${CAMERA_PASSWORD}|rtsp://`), `${base}${route}`);
          }
        }
        // The ports asked for in the environment (0: any) differ from the ones up resolved in its
        // configuration: the banner still names the bound ones, as the services report them.
      },
      { FACETRACKER_API__PORT: "0", FACETRACKER_API__HTTP_PORT: "0" },
    );
  });

  it("honours listen_host, and web.listen for the page", async () => {
    const config = [
      "listen_host: 127.0.0.2",
      "web: { listen: 127.0.0.3 }",
      "api: { port: 0, http_port: 0 }",
      "",
    ].join("\n");
    await withUp(config, async (up) => {
      const out = up.output();
      const sockets = listeningSockets(processTree(up.pid));
      const web = /up: web page http:\/\/([\d.]+):(\d+)\//.exec(out);
      assert.equal(web?.[1], "127.0.0.3", out);
      assert.match(up.grpcAddress, /^127\.0\.0\.2:\d+$/);
      assert.match(up.healthUrl, /^http:\/\/127\.0\.0\.2:\d+\/healthz$/);
      for (const s of sockets) {
        const expected: string =
          s.command === "nats-server" ? "127.0.0.1" : s.port === Number(web?.[2]) ? "127.0.0.3" : "127.0.0.2";
        assert.equal(s.address, expected, `${s.command} on ${s.address}:${s.port}\n${out}`);
      }
      assert.ok(
        sockets.some((s) => s.address === "127.0.0.3"),
        "the web page listens on web.listen",
      );
      assert.equal((await fetch(`http://127.0.0.3:${web?.[2]}/`)).status, 401, "the page asks for the token");
      assert.ok(await up.healthy(), await up.health());
    });
  });
});
