import type { CameraStatusBoard } from "@facetracker/bus";
import { abortableSleep } from "@facetracker/infra";
import type { CameraStatus } from "@facetracker/proto";
import type { Logger } from "@facetracker/service-kit";

/** How often every camera's status is written again (its updated_at_ms says ingest still runs). */
const REFRESH_MS = 10_000;
/** Wait after a failed write (the bus is down) before trying again. */
const RETRY_MS = 1000;

/**
 * Writes the cameras' statuses to the status board (KV ft_camera_status): the current status of each
 * camera, written in the background (a change that comes while the bus is down is written when it is
 * back; only the latest counts), and every status again every 10 s (frames counted, updated_at_ms).
 */
export class StatusReporter {
  readonly #board: CameraStatusBoard;
  readonly #logger: Logger;
  /** Each camera's current status, asked when it is written. */
  readonly #latest = new Map<string, () => CameraStatus>();
  /** Cameras to write (a status) or to remove (none in #latest). */
  readonly #dirty = new Set<string>();
  /** The last status of cameras handed over to another instance, written once. */
  readonly #last = new Map<string, () => CameraStatus>();
  readonly #stop = new AbortController();
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;
  readonly #refresh: NodeJS.Timeout;

  constructor(board: CameraStatusBoard, logger: Logger) {
    this.#board = board;
    this.#logger = logger;
    this.#loop = this.#run();
    this.#refresh = setInterval(() => {
      for (const id of this.#latest.keys()) this.#dirty.add(id);
      this.#wake?.();
    }, REFRESH_MS);
    this.#refresh.unref();
  }

  /** The camera's status changed (written soon, and asked again at every refresh). */
  report(id: string, status: () => CameraStatus): void {
    this.#latest.set(id, status);
    this.#last.delete(id);
    this.#dirty.add(id);
    this.#wake?.();
  }

  /** The camera was removed: its status goes too. */
  forget(camera: string): void {
    this.#latest.delete(camera);
    this.#last.delete(camera);
    this.#dirty.add(camera);
    this.#wake?.();
  }

  /**
   * Another ingest instance runs the camera now: its status is that one's to write (what is pending is
   * still written once, then no longer refreshed from here).
   */
  handOver(camera: string): void {
    const last = this.#latest.get(camera);
    this.#latest.delete(camera);
    if (last && this.#dirty.has(camera)) this.#last.set(camera, last);
    else this.#dirty.delete(camera);
  }

  /** Writes what is pending (once, without waiting for a bus that is down), then stops. */
  async stop(): Promise<void> {
    clearInterval(this.#refresh);
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let failing = false;
    for (;;) {
      if (this.#dirty.size === 0) {
        if (this.#stop.signal.aborted) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      const id = this.#dirty.values().next().value as string;
      this.#dirty.delete(id);
      const status = this.#latest.get(id) ?? this.#last.get(id);
      try {
        if (status) await this.#board.put({ ...status(), updatedAtMs: Date.now() });
        else await this.#board.remove(id);
        this.#last.delete(id);
        if (failing) this.#logger.info("camera status written again");
        failing = false;
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        this.#dirty.add(id);
        if (!failing)
          this.#logger.warn("camera status not written, retrying", { camera: id, error: error as Error });
        failing = true;
        await abortableSleep(RETRY_MS, this.#stop.signal);
      }
    }
  }
}
