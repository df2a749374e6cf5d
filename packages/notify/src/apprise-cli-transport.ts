/**
 * The embedded transport: runs the `apprise` command once per notification. Attachments are written
 * to a private temporary directory (mode 0700, removed afterwards) and passed with `--attach`. The URLs
 * (passwords, tokens) go through apprise's environment (APPRISE_URLS), readable only by this user, never
 * its command line, which every local user can read (`ps`).
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkAppriseUrls } from "./apprise-urls.ts";
import { attachmentFileNames } from "./attachment-names.ts";
import { type ChildRunResult, ChildStartError, runChild } from "./child-run.ts";
import { type Notification, NotificationError, type NotificationTransport } from "./notification.ts";
import { textTail } from "./text-tail.ts";
import { describeUrls, redactSecrets } from "./url-redaction.ts";

/** Options of AppriseCliTransport. */
export interface AppriseCliTransportOptions {
  /** The apprise command: a path or a name looked up on PATH (default "apprise"). */
  command?: string;
  /** Where the private per-notification attachment directories are created (default: os.tmpdir()). */
  tempDir?: string;
  /** Time between SIGTERM and SIGKILL when an attempt is aborted (default 2000 ms). */
  killGraceMs?: number;
}

const INSTALL_HINT =
  "install Apprise (Debian package apprise, or pip install apprise) or set the command path";

const EXIT_MEANINGS: Record<number, string> = {
  1: "a notification failed or a URL could not be loaded",
  2: "invalid command-line arguments",
  3: "no service was notified",
};

/** Sends notifications by running the Apprise command-line tool. */
export class AppriseCliTransport implements NotificationTransport {
  /** The command that is run. */
  readonly command: string;
  readonly #tempDir: string;
  readonly #killGraceMs: number;

  constructor(options: AppriseCliTransportOptions = {}) {
    this.command = options.command ?? "apprise";
    this.#tempDir = options.tempDir ?? tmpdir();
    this.#killGraceMs = options.killGraceMs ?? 2000;
  }

  /**
   * Runs `apprise --title … --body … --input-format … --attach …` with APPRISE_URLS; rejects with a
   * NotificationError carrying apprise's output tail (secrets masked) when it exits non-zero, and
   * stops the child when `signal` aborts: then it rejects, unless apprise had already reported a
   * delivery to every URL (only its exit was late), which is a send.
   */
  async send(
    urls: string[],
    notification: Notification,
    signal: AbortSignal,
    onDelivered?: () => void,
  ): Promise<void> {
    checkAppriseUrls(urls);
    if (signal.aborted) throw abortError(signal, urls);
    const dir = await mkdtemp(join(this.#tempDir, "facetracker-notify-"));
    try {
      const names = attachmentFileNames(notification.attachments);
      const paths = names.map((name) => join(dir, name));
      await Promise.all(
        notification.attachments.map((attachment, i) =>
          writeFile(paths[i] as string, attachment.data, { mode: 0o600 }),
        ),
      );
      const args = [
        // -vv: apprise logs each delivery ("Sent JSON POST notification."), which tells an attempt that
        // delivered but was stopped before it exited (a loaded machine) from one that did not deliver.
        "-vv",
        `--input-format=${notification.format}`,
        `--title=${notification.title}`,
        `--body=${notification.body}`,
        ...paths.map((path) => `--attach=${path}`),
      ];
      // apprise logs each delivery as it makes it: the last one is told at once, not when apprise exits.
      let seen = "";
      let told = false;
      const onOutput = (text: string) => {
        if (told || !onDelivered) return;
        seen += text;
        if (deliveries(seen) >= urls.length) {
          told = true;
          onDelivered();
        }
      };
      const result = await this.#run(args, signal, urls, onOutput);
      // Stopped (a timeout) after it had delivered to every URL: sent. Sending again would duplicate it.
      if (result.aborted && deliveries(result.output) >= urls.length) return;
      if (result.aborted) throw abortError(signal, urls);
      if (result.code !== 0) throw exitError(result, urls);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Checks at start-up that apprise can load every URL (`apprise --dry-run`, nothing is sent); rejects
   * naming the URLs it cannot parse (secrets masked).
   */
  async verifyUrls(urls: string[], signal: AbortSignal = AbortSignal.timeout(30_000)): Promise<void> {
    checkAppriseUrls(urls);
    // One dry run per URL: from APPRISE_URLS, apprise drops them all when one cannot be loaded.
    let output = "";
    let failed = false;
    let loaded = 0;
    for (const url of urls) {
      const result = await this.#run(["-v", "--dry-run"], signal, [url]);
      if (result.aborted) throw abortError(signal, urls);
      const lines = redactSecrets(result.output, urls).replace(/\nUsage:[\s\S]*$/, "");
      loaded += Math.min(1, lines.split("\n").filter((line) => /^\s*\d+\.\s+\S/.test(line)).length);
      failed ||= result.code !== 0 && !NOTHING_LOADED.test(result.output);
      output += `${lines}\n`;
    }
    const errors = output
      .split("\n")
      .filter((line) => / - ERROR - /.test(line) && !NOTHING_LOADED.test(line));
    if (failed || errors.length > 0 || loaded < urls.length) {
      const detail =
        errors.map((line) => line.replace(/^.* - ERROR - /, "")).join("; ") || textTail(output, 500);
      throw new NotificationError(
        `apprise cannot use the notification URLs (${loaded} of ${urls.length} loaded): ${detail}`,
        { retryable: false },
      );
    }
  }

  async #run(
    args: string[],
    signal: AbortSignal,
    urls: string[],
    onOutput?: (text: string) => void,
  ): Promise<ChildRunResult> {
    try {
      // Newline-separated: apprise splits APPRISE_URLS before each scheme://, so commas inside a URL stay.
      const env = { APPRISE_URLS: urls.map((url) => url.trim()).join("\n") };
      return await runChild(this.command, args, {
        signal,
        killGraceMs: this.#killGraceMs,
        env,
        ...(onOutput ? { onOutput } : {}),
      });
    } catch (error) {
      if (error instanceof ChildStartError) {
        throw new NotificationError(`${error.message} (${INSTALL_HINT})`, { retryable: false, cause: error });
      }
      throw new NotificationError(`apprise failed for ${describeUrls(urls)}: ${String(error)}`, {
        retryable: true,
        cause: error,
      });
    }
  }
}

function abortError(signal: AbortSignal, urls: string[]): NotificationError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  return new NotificationError(`apprise stopped before finishing (${reason}) for ${describeUrls(urls)}`, {
    retryable: true,
    cause: signal.reason,
  });
}

/** How many deliveries apprise reported (-vv: one "Sent … notification" line per URL it delivered to). */
export function deliveries(output: string): number {
  return output.split("\n").filter((line) => / - INFO - Sent .*notification/i.test(line)).length;
}

const NOTHING_LOADED = /There are no service\(s\) to notify|You must specify at least one server URL/i;

function exitError(result: ChildRunResult, urls: string[]): NotificationError {
  const how =
    result.code === null
      ? `was killed by ${result.signal ?? "a signal"}`
      : `exited with code ${result.code}${EXIT_MEANINGS[result.code] ? ` (${EXIT_MEANINGS[result.code]})` : ""}`;
  // None of the URLs could be loaded ("Unparseable URL …", "Unsupported URL …"): retrying cannot help.
  // From APPRISE_URLS apprise then says "You must specify at least one server URL" and prints its usage.
  const nothingLoaded = NOTHING_LOADED.test(result.output);
  const shown = nothingLoaded ? result.output.replace(/\nUsage:[\s\S]*$/, "") : result.output;
  const output = textTail(redactSecrets(shown, urls), 1500);
  return new NotificationError(
    `apprise ${how} sending to ${describeUrls(urls)}${output ? `: ${output}` : " (no output)"}`,
    { retryable: !nothingLoaded && result.code !== 2 && result.code !== 3 },
  );
}
