/**
 * Child processes (ffmpeg, ffprobe) that never outlive their use: spawned and tracked here, stopped with
 * SIGTERM then SIGKILL after a grace period, and killed outright if the Node process exits while they run.
 */

import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { errnoCode, trackChild } from "@facetracker/infra";
import { MediaError } from "./errors.ts";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export const FFMPEG_INSTALL_HINT = "install the Debian package ffmpeg (apt-get install ffmpeg)";

/** A spawned child with a promise of its end (after its pipes closed) and an idempotent stop(). */
export class GuardedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited and its stdio pipes are closed. */
  readonly exited: Promise<ExitStatus>;
  #status: ExitStatus | undefined;
  #stopping: Promise<void> | undefined;
  #stopRequested = false;

  private constructor(child: ChildProcess, pid: number) {
    this.child = child;
    this.pid = pid;
    this.exited = new Promise((resolve) => {
      child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
        this.#status = { code, signal };
        resolve(this.#status);
      });
    });
  }

  /**
   * Spawns `command` and resolves once it runs. A command that cannot be started rejects with
   * MediaError("FFMPEG_MISSING") naming it.
   */
  static async spawn(command: string, args: string[], options: SpawnOptions): Promise<GuardedProcess> {
    const child = spawn(command, args, options);
    trackChild(child);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
    } catch (error) {
      const code = errnoCode(error);
      if (code === "ENOENT" || code === "EACCES") {
        throw new MediaError(
          "FFMPEG_MISSING",
          `cannot run ${command} (${code === "ENOENT" ? "not found" : "permission denied"}): ${FFMPEG_INSTALL_HINT}`,
          { cause: error, source: command },
        );
      }
      throw new MediaError("FFMPEG_FAILED", `cannot start ${command}: ${(error as Error).message}`, {
        cause: error,
        source: command,
      });
    }
    // After 'spawn', errors only come from kill() or the pipes; keep them from crashing the process.
    child.on("error", () => {});
    if (child.pid === undefined) throw new MediaError("FFMPEG_FAILED", `cannot start ${command}`);
    return new GuardedProcess(child, child.pid);
  }

  /** The exit status, once the process has ended. */
  get status(): ExitStatus | undefined {
    return this.#status;
  }

  /** True once stop() was called: an exit after that is not a failure of the process. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /**
   * Ends the process: closes its stdout (so a blocked write fails at once), sends SIGTERM, and SIGKILL
   * after `graceMs`; resolves once it has exited. Idempotent.
   */
  stop(graceMs = 2000, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    this.#stopRequested = true;
    this.#stopping ??= this.#stop(graceMs, signal);
    return this.#stopping;
  }

  async #stop(graceMs: number, signal: NodeJS.Signals): Promise<void> {
    if (this.#status !== undefined) return;
    this.child.stdout?.destroy();
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }
}
