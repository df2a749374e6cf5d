/**
 * The scene of the fault matrix and the soak run: a looping lobby camera where amy (enrolled) and bea
 * (unknown) each walk across once per loop, so every loop makes new tracks: amy alerts on each (no
 * cooldown), bea alerts once and is "seen again" on that alert afterwards (alerts.unknown_cooldown_s); a gallery with
 * amy; two json:// notification destinations (apprise to a local HTTP server); local clip storage under the
 * data directory; and the configuration file `facetracker up --config` reads.
 */

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { type HttpReceiver, startHttpReceiver } from "@facetracker/testing/notify";
import { renderLobby } from "./lobby-video.ts";
import { runCli } from "./run-cli.ts";

/** The camera's ID in the scene. */
export const SCENE_CAMERA = "lobby";

/** The scene's cameras: SCENE_CAMERA, then `lobby-2`, `lobby-3` … (the same video, for partitions). */
export function sceneCameras(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? SCENE_CAMERA : `${SCENE_CAMERA}-${i + 1}`));
}

/** Frames per loop of the camera's video, and its rate (a loop is 15 s). */
export const LOOP_FRAMES = 150;
export const LOOP_FPS = 10;

/** The two notification destinations (paths of the receiver): each alert goes to both, once each. */
export const NOTIFICATION_DESTINATIONS = ["/guard-a", "/guard-b"] as const;

/** The notification title: camera and track ID, so a received notification names its alert. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: `${name}` in plain strings is the notification template syntax
export const NOTIFICATION_TITLE = "${camera} track ${track_id}: ${identity}";

/** Reads back what NOTIFICATION_TITLE wrote. */
export function parseNotificationTitle(title: string): { camera: string; trackId: number } | undefined {
  const match = /^(\S+) track (\d+):/.exec(title);
  return match ? { camera: match[1] as string, trackId: Number(match[2]) } : undefined;
}

export interface FaultScene {
  /** The configuration file for `facetracker up --config`. */
  configFile: string;
  /** The data directory for `facetracker up --data` (clips in DATA/clips). */
  dataDir: string;
  /** Where the clips are stored (local storage). */
  clipsDir: string;
  /** The json:// receiver every notification goes to (NOTIFICATION_DESTINATIONS are its paths). */
  receiver: HttpReceiver;
  /** The cameras (sceneCameras). */
  cameras: string[];
}

export interface FaultSceneOptions {
  /** Cameras looping the video (default 1: SCENE_CAMERA). */
  cameras?: number;
  /** An existing bus (a cluster's URLs) instead of up's own nats-server. */
  natsUrls?: string[];
}

/**
 * Renders the camera's video, enrolls amy with the real CLI, starts the receiver and writes the
 * configuration (ON_ALL, alert_once, no cooldown for amy, one alert per unknown person; one message per
 * alert).
 */
export async function prepareFaultScene(dir: string, options: FaultSceneOptions = {}): Promise<FaultScene> {
  const media = path.join(dir, "media");
  await mkdir(media, { recursive: true });
  const video = path.join(media, "lobby-loop.mp4");
  // amy walks right along the top during frames 0–89, bea walks left along the bottom during 60–149.
  const { amy } = await renderLobby(video, {
    frames: LOOP_FRAMES,
    fps: LOOP_FPS,
    amy: (f) => (f < 90 ? [-120 + 8.5 * f, 20] : null),
    bea: (f) => (f >= 60 ? [640 - 8.5 * (f - 60), 190] : null),
  });
  const photo = await writeMirroredJpeg(amy, path.join(media, "amy.jpg"));
  const gallery = path.join(dir, "gallery");
  const enrolled = await runCli(["enroll", "--db", gallery, "--name", "amy", photo], 180_000);
  if (enrolled.code !== 0) throw new Error(`enrolling amy failed (${enrolled.code}):\n${enrolled.err}`);

  const receiver = await startHttpReceiver();
  const dataDir = path.join(dir, "data");
  const config = {
    db_path: gallery,
    gallery: { backend: "embedded" },
    cameras: sceneCameras(options.cameras ?? 1).map((id) => ({ id, url: video, loop: true })),
    ...(options.natsUrls ? { nats: { url: options.natsUrls.join(",") } } : {}),
    alerts: {
      alert_mode: "ON_ALL",
      alert_once: true,
      cooldown_s: 0,
      clip_duration: 40,
      notification_config: NOTIFICATION_DESTINATIONS.map((d) => `json://127.0.0.1:${receiver.port}${d}`),
      notification_title: NOTIFICATION_TITLE,
      notification_group_s: 0,
    },
    api: { port: 0, http_port: 0 },
    runtime: { detect_workers: 1 },
  };
  const configFile = path.join(dir, "facetracker.yaml");
  // JSON is YAML.
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return {
    configFile,
    dataDir,
    clipsDir: path.join(dataDir, "clips"),
    receiver,
    cameras: sceneCameras(options.cameras ?? 1),
  };
}
