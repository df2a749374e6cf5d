/**
 * Clip windows around alerts and how alerts of one camera share a clip: the pure planning logic of the clip
 * recorder (no bus, no files, no clock).
 *
 * A clip of `clipFrames` frames surrounds an alert's trigger frame S (by frame sequence number): the
 * pre-roll is ⌊clipFrames/2⌋ frames before S, the post-roll the rest from S on, so the window is
 * [S − preRoll, S + postRoll − 1]. An alert of the same camera whose trigger falls inside an open clip's
 * window extends that clip (its last frame moves to the new trigger + postRoll − 1) instead of starting
 * another, up to `maxFrames` in all (default 3 × clipFrames) so that a busy camera still produces clips.
 *
 * Frames are offered to a clip in stream order; the clip says whether to take each one, skip it, or whether
 * the window is over (a frame past it arrived, or the camera restarted and its sequence numbers went back).
 */

/** An alert as the planner sees it: its ID and trigger frame. */
export interface ClipTrigger {
  alertId: string;
  /** Sequence number of the trigger frame. */
  seq: number;
  /** Capture time of the trigger frame, ms since the epoch. */
  timeMs: number;
}

/** A frame offered to a clip. */
export interface OfferedFrame {
  seq: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
}

/** What to do with an offered frame: take it into the clip, skip it, or close the clip (not taking it). */
export type FrameVerdict = "take" | "skip" | "complete";

/** Options of ClipPlanner. */
export interface ClipPlannerOptions {
  /** Frames of a clip around one alert (alerts.clip_duration), at least 1. */
  clipFrames: number;
  /** Most frames of one clip, however many alerts extend it (default 3 × clipFrames; at least clipFrames). */
  maxFrames?: number;
}

/** Frames before the trigger and from the trigger on, for a clip of `clipFrames` frames. */
export function clipRolls(clipFrames: number): { preRoll: number; postRoll: number } {
  if (!Number.isSafeInteger(clipFrames) || clipFrames < 1) {
    throw new RangeError(`clip frames must be a positive integer, got ${clipFrames}`);
  }
  const preRoll = Math.floor(clipFrames / 2);
  return { preRoll, postRoll: clipFrames - preRoll };
}

/** The window [firstSeq, lastSeq] of a clip around trigger frame `seq` (frame numbers start at 1). */
export function clipWindow(seq: number, clipFrames: number): { firstSeq: number; lastSeq: number } {
  const { preRoll, postRoll } = clipRolls(clipFrames);
  return { firstSeq: Math.max(1, seq - preRoll), lastSeq: seq + postRoll - 1 };
}

/**
 * One clip being planned: its window (the end moves as alerts extend it), the alerts it covers, and the
 * frame filter that decides which frames of the camera's stream belong to it.
 */
export class PlannedClip {
  /** Unique within its planner, increasing. */
  readonly id: number;
  readonly camera: string;
  /** First frame of the window. */
  readonly firstSeq: number;
  /** Last frame of the window (grows as alerts extend the clip, never past maxLastSeq). */
  lastSeq: number;
  /** The furthest lastSeq may go (firstSeq + maxFrames − 1). */
  readonly maxLastSeq: number;
  /** The alerts the clip covers, in the order they were placed; the first one names the clip. */
  readonly triggers: ClipTrigger[] = [];
  /** False once closed: no alert joins it any more. */
  open = true;
  #lastTaken: OfferedFrame | undefined;

  constructor(id: number, camera: string, first: ClipTrigger, clipFrames: number, maxFrames: number) {
    this.id = id;
    this.camera = camera;
    const window = clipWindow(first.seq, clipFrames);
    this.firstSeq = window.firstSeq;
    this.lastSeq = window.lastSeq;
    this.maxLastSeq = this.firstSeq + maxFrames - 1;
    this.triggers.push({ ...first });
  }

  /** The alert that opened the clip (its key is made from it). */
  get first(): ClipTrigger {
    return this.triggers[0] as ClipTrigger;
  }

  /** Frames the window spans now. */
  get windowFrames(): number {
    return this.lastSeq - this.firstSeq + 1;
  }

  /** Whether trigger frame `seq` falls inside the window. */
  contains(seq: number): boolean {
    return seq >= this.firstSeq && seq <= this.lastSeq;
  }

  /** The last frame taken so far. */
  get lastTaken(): OfferedFrame | undefined {
    return this.#lastTaken;
  }

  /**
   * Decides about the next frame of the camera's stream (offer them in stream order):
   * - inside the window and after the last frame taken: "take";
   * - past the window and captured no earlier than the first trigger: "complete" (the window is over);
   * - sequence numbers going back while capture time goes on (the camera's source restarted and numbers
   *   frames from 1 again): "complete" once something was taken;
   * - anything else (pre-roll older than the window, repeats, frames of an earlier run of the source that
   *   happen to carry later numbers): "skip".
   */
  offer(frame: OfferedFrame): FrameVerdict {
    const last = this.#lastTaken;
    if (last !== undefined && frame.seq <= last.seq) {
      return frame.timeMs > last.timeMs ? "complete" : "skip";
    }
    if (frame.seq > this.lastSeq) {
      const earliestTrigger = Math.min(...this.triggers.map((t) => t.timeMs));
      return frame.timeMs >= earliestTrigger ? "complete" : "skip";
    }
    if (frame.seq < this.firstSeq) return "skip";
    this.#lastTaken = { seq: frame.seq, timeMs: frame.timeMs };
    return "take";
  }
}

/** Where ClipPlanner.place put an alert. */
export interface ClipPlacement {
  clip: PlannedClip;
  /**
   * "opened": a new clip; "extended": it joined an open clip and moved its end; "joined": it joined an open
   * clip without moving the end (the cap was reached, or its post-roll is already inside); "repeated": this
   * alert ID is already in an open clip (a redelivered message).
   */
  kind: "opened" | "extended" | "joined" | "repeated";
}

/**
 * Plans the clips of every camera: places each alert into an open clip of its camera or opens a new one,
 * and forgets clips once closed. Place alerts in stream order.
 */
export class ClipPlanner {
  readonly clipFrames: number;
  readonly maxFrames: number;
  readonly preRoll: number;
  readonly postRoll: number;
  readonly #open = new Map<string, PlannedClip[]>();
  #nextId = 1;

  constructor(options: ClipPlannerOptions) {
    const { preRoll, postRoll } = clipRolls(options.clipFrames);
    const maxFrames = options.maxFrames ?? 3 * options.clipFrames;
    if (!Number.isSafeInteger(maxFrames) || maxFrames < options.clipFrames) {
      throw new RangeError(
        `maxFrames must be an integer >= clipFrames (${options.clipFrames}), got ${options.maxFrames}`,
      );
    }
    this.clipFrames = options.clipFrames;
    this.maxFrames = maxFrames;
    this.preRoll = preRoll;
    this.postRoll = postRoll;
  }

  /**
   * Places an alert: into the most recent open clip of `camera` whose window contains its trigger
   * (extending that clip's end to trigger + post-roll, capped at maxFrames), else into a new clip.
   */
  place(camera: string, trigger: ClipTrigger): ClipPlacement {
    if (!Number.isSafeInteger(trigger.seq) || trigger.seq < 1) {
      throw new RangeError(
        `alert ${trigger.alertId}: trigger frame must be a positive integer, got ${trigger.seq}`,
      );
    }
    const clips = this.#open.get(camera) ?? [];
    for (const clip of clips) {
      if (clip.triggers.some((t) => t.alertId === trigger.alertId)) return { clip, kind: "repeated" };
    }
    const host = clips.findLast((clip) => clip.contains(trigger.seq));
    if (host) {
      host.triggers.push({ ...trigger });
      const wanted = Math.min(host.maxLastSeq, trigger.seq + this.postRoll - 1);
      if (wanted <= host.lastSeq) return { clip: host, kind: "joined" };
      host.lastSeq = wanted;
      return { clip: host, kind: "extended" };
    }
    const clip = new PlannedClip(this.#nextId++, camera, trigger, this.clipFrames, this.maxFrames);
    clips.push(clip);
    this.#open.set(camera, clips);
    return { clip, kind: "opened" };
  }

  /** Closes a clip: no alert joins it any more. Idempotent. */
  close(clip: PlannedClip): void {
    clip.open = false;
    const clips = this.#open.get(clip.camera);
    if (!clips) return;
    const index = clips.indexOf(clip);
    if (index >= 0) clips.splice(index, 1);
    if (clips.length === 0) this.#open.delete(clip.camera);
  }

  /** The open clips (of one camera, or of all). */
  openClips(camera?: string): PlannedClip[] {
    if (camera !== undefined) return [...(this.#open.get(camera) ?? [])];
    return [...this.#open.values()].flat();
  }
}
