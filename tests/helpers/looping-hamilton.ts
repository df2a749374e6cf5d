/**
 * The Hamilton clip of ../shared/data as a looping camera (played at its own rate, like a live camera)
 * through the real pipeline of FaceTracker.startFaceTrackingPipeline (every service in this process, on a
 * nats-server), with Lin-Manuel Miranda, Alex Lacamoire and Obama enrolled and alert_mode ON_ALL: what
 * alerted, what was "seen again" and which tracks settled, loop by loop. Shared by the end-to-end test of
 * one alert per person and `pnpm bench:alerts per-loop`.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { VideoSource } from "@facetracker/media";
import {
  type Alert,
  type AlertUpdate,
  FaceRecognizer,
  FaceTracker,
  type TrackEvent,
  TrackEventType,
} from "@facetracker/sdk";
import { facesDir, sharedData, skipWithoutSharedData } from "./shared-data.ts";

export const HAMILTON_CLIP = path.join(sharedData, "video", "short_hamilton_clip.mp4");
/** The people of the clip, enrolled from ../shared/data/faces/people. */
export const HAMILTON_PEOPLE = ["lin_manuel_miranda", "alex_lacamoire", "obama"] as const;

/** The skip reason when the clip or the people's photos are absent, or false. */
export function skipWithoutHamilton(): string | false {
  return (
    skipWithoutSharedData() ||
    (existsSync(HAMILTON_CLIP) ? false : `${HAMILTON_CLIP} not found: the looping Hamilton camera is skipped`)
  );
}

export interface LoopingRun {
  /** Frames of one loop (the clip's at its own rate, fewer at a lower camera fps). */
  framesPerLoop: number;
  alerts: Alert[];
  /** "Seen again" updates: tracks that were an earlier alert's person. */
  updates: AlertUpdate[];
  /** IDENTIFIED track events (each a track whose identity settled: an alert or a seen-again, or neither). */
  identified: TrackEvent[];
  /** The loop (0 = the first) of a frame sequence number. */
  loopOf(seq: number): number;
  /** Loops that went through tracking to their end (fewer than asked when the deadline came first). */
  loopsDone: number;
}

export interface LoopingOptions {
  /** Working directory (gallery, pipeline data). */
  dir: string;
  /** Loops to watch to their end. */
  loops: number;
  /** The camera's frame rate (default: the clip's own, 29.97). */
  fps?: number;
  /** A running nats-server to attach to (default: the pipeline starts its own). */
  natsUrl?: string;
  /** alerts.* of the configuration (default: ON_ALL, cooldown_s and unknown_cooldown_s 300, no clips). */
  alerts?: Record<string, unknown>;
  /** Stop anyway after this long, ms (default: 3 × the loops' play time + 2 minutes). */
  deadlineMs?: number;
}

/** Frames the camera makes of one play of the clip at `fps` (default: the clip's own rate). */
async function framesPerPlay(fps: number | undefined): Promise<number> {
  const source = await VideoSource.open(HAMILTON_CLIP, { output: "jpeg", ...(fps ? { fps } : {}) });
  let frames = 0;
  try {
    for await (const _ of source.frames()) frames++;
  } finally {
    await source.close();
  }
  if (frames === 0) throw new Error(`no frame decoded from ${HAMILTON_CLIP}`);
  return frames;
}

/**
 * Runs the looping camera until `loops` loops went through tracking; see the module comment. Each loop is
 * the same number of frames (sequence numbers count every frame the camera made, dropped ones included).
 */
export async function runLoopingHamilton(options: LoopingOptions): Promise<LoopingRun> {
  const framesPerLoop = await framesPerPlay(options.fps);
  const db = path.join(options.dir, "gallery");
  const recognizer = await FaceRecognizer.create({ db_path: db });
  try {
    for (const name of HAMILTON_PEOPLE) {
      const folder = path.join(facesDir, "people", name);
      const photos = readdirSync(folder).map((f) => path.join(folder, f));
      const report = await recognizer.enroll(name, photos);
      if (report.enrolled < 1)
        throw new Error(`${name}: nothing enrolled (${JSON.stringify(report.outcomes)})`);
    }
  } finally {
    await recognizer.close();
  }
  const pipeline = await FaceTracker.startFaceTrackingPipeline({
    config: {
      db_path: db,
      alerts: {
        alert_mode: "ON_ALL",
        cooldown_s: 300,
        unknown_cooldown_s: 300,
        clip_duration: 0,
        ...options.alerts,
      },
      cameras: [
        { id: "stage", url: HAMILTON_CLIP, loop: true, ...(options.fps ? { fps: options.fps } : {}) },
      ],
      api: { port: 0, http_port: 0 },
      runtime: { detect_workers: 1 },
    },
    dataDir: path.join(options.dir, "data"),
    singleProcess: true,
    ...(options.natsUrl ? { natsUrl: options.natsUrl } : {}),
  });
  const run: LoopingRun = {
    framesPerLoop,
    alerts: [],
    updates: [],
    identified: [],
    loopOf: (seq) => Math.floor((seq - 1) / framesPerLoop),
    loopsDone: 0,
  };
  const collect = async <T>(iterator: AsyncIterable<T>, into: T[]) => {
    for await (const value of iterator) into.push(value);
  };
  const reading = [collect(pipeline.alerts(), run.alerts), collect(pipeline.alertUpdates(), run.updates)];
  const deadline = setTimeout(
    () => void pipeline.stop(),
    options.deadlineMs ?? options.loops * 9_200 * 3 + 120_000,
  );
  try {
    for await (const event of pipeline.trackEvents()) {
      run.loopsDone = Math.min(options.loops, run.loopOf(event.seq));
      if (run.loopsDone >= options.loops) break;
      if (event.type === TrackEventType.IDENTIFIED) run.identified.push(event);
    }
  } finally {
    clearTimeout(deadline);
    await pipeline.stop();
  }
  await Promise.all(reading);
  // What the last loop's start brought along (its first events) belongs to a loop not watched.
  const watched = (seq: number) => run.loopOf(seq) < options.loops;
  run.alerts = run.alerts.filter((a) => watched(a.seq));
  run.updates = run.updates.filter((u) => watched(u.seq));
  return run;
}

/** Per loop: alerts (named and unknown), seen-again updates and settled tracks. */
export function perLoop(run: LoopingRun, loops: number) {
  return Array.from({ length: loops }, (_, loop) => {
    const alerts = run.alerts.filter((a) => run.loopOf(a.seq) === loop);
    return {
      loop: loop + 1,
      "tracks settled": run.identified.filter((e) => run.loopOf(e.seq) === loop).length,
      alerts: alerts.length,
      "named alerts": alerts
        .filter((a) => a.identity)
        .map((a) => a.identity?.name)
        .join(", "),
      "seen again": run.updates.filter((u) => run.loopOf(u.seq) === loop).length,
    };
  });
}
