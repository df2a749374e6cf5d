/**
 * Keeps a network source's credentials off ffmpeg's and ffprobe's command lines, which any local user
 * can read (`ps`, /proc/PID/cmdline). A URL carrying secrets (user:password@, or a query string) is
 * written to an ffconcat script in a private directory (0700, the file 0600) with its protocol options,
 * and ffmpeg opens that script with the concat demuxer: the command line names the file only.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InputOptions } from "./ffmpeg-args.ts";
import type { ParsedVideoSource } from "./source-spec.ts";

/** What the concat demuxer may open: the script, then the stream's own protocols. */
const CONCAT_WHITELIST = "file,rtsp,rtsps,rtp,srtp,udp,tcp,tls,http,https,httpproxy,crypto";

/** True for a network source whose URL holds a secret (user info or a query string). */
export function hasSecretUrl(source: ParsedVideoSource): boolean {
  if (source.kind !== "rtsp" && source.kind !== "http") return false;
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(source.input) || source.input.includes("?");
}

/** `text` as one ffconcat token: single-quoted, a quote written as '\''. */
function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** The ffconcat script opening `source` with the protocol options inputArgs would give on the command line. */
export function secretInputScript(source: ParsedVideoSource, options: InputOptions): string {
  if (/[\r\n]/.test(source.input)) throw new Error("a source URL cannot contain line breaks");
  const timeoutUs = String(Math.max(1, Math.round(options.timeoutS * 1_000_000)));
  const protocolOptions: [string, string][] =
    source.kind === "rtsp"
      ? [
          ["rtsp_transport", options.rtspTransport],
          ["timeout", timeoutUs],
        ]
      : [
          ["timeout", timeoutUs],
          ["rw_timeout", timeoutUs],
        ];
  return [
    "ffconcat version 1.0",
    `file ${quote(source.input)}`,
    ...protocolOptions.map(([key, value]) => `option ${key} ${quote(value)}`),
    "",
  ].join("\n");
}

/** The ffmpeg/ffprobe input options reading the source from the script at `scriptPath`. */
export function secretInputArgs(scriptPath: string): string[] {
  return ["-f", "concat", "-safe", "0", "-protocol_whitelist", CONCAT_WHITELIST, "-i", scriptPath];
}

/** A private ffconcat script holding a source URL; remove() deletes it (and its directory). */
export class SecretInputFile {
  readonly path: string;
  readonly #dir: string;

  private constructor(dir: string, path: string) {
    this.#dir = dir;
    this.path = path;
  }

  /** Writes the script for `source` (see secretInputScript) into a new private directory. */
  static async create(source: ParsedVideoSource, options: InputOptions): Promise<SecretInputFile> {
    const script = secretInputScript(source, options);
    const dir = await mkdtemp(join(tmpdir(), "facetracker-source-")); // mode 0700
    const path = join(dir, "source.ffconcat");
    await writeFile(path, script, { mode: 0o600 });
    return new SecretInputFile(dir, path);
  }

  /** Deletes the script; idempotent. */
  async remove(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }
}
