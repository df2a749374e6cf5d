/**
 * The live view of one camera on a canvas: JPEG frames from /api/live/<camera> (server-sent events, at
 * most ~10 per second) drawn with the boxes, track IDs, names ("unknown") and states of their tracks.
 * Frames that arrive while one is being drawn replace each other: the view never falls behind.
 */

import { api } from "./api.js";
import { fromWire } from "./wire.js";

/**
 * Box colours by face kind: the CSS variables of /face-labels.css, which the web service writes from the
 * table of @facetracker/vision (face-labels.ts), the colours of the restream, the clips and the CLI too.
 * @returns {{ known: string, unknown: string, undetermined: string, identifying: string, lost: string }}
 */
export function faceColors() {
  const style = getComputedStyle(document.documentElement);
  const get = (/** @type {string} */ kind) => style.getPropertyValue(`--${kind}`).trim();
  return {
    known: get("known"),
    unknown: get("unknown"),
    undetermined: get("undetermined"),
    identifying: get("identifying"),
    lost: get("lost"),
  };
}

/** Seconds without a frame before the page says the camera seems silent. */
const SILENCE_S = 5;

/**
 * @typedef {{ id: number, state: string, box: number[], name: string | null, identifying: boolean,
 *   undetermined?: boolean, identityId: string | null, similarity: number | null,
 *   closest?: { name: string, similarity: number } | null, face: boolean }} LiveTrack
 * @typedef {{ camera: string, seq: number, width: number, height: number, timeMs: number, jpeg: string,
 *   tracked: boolean, tracks: LiveTrack[] }} LiveFrame
 */

/**
 * The colour of a track's box, by its kind (as trackFaceKind of face-labels.ts): identifying while
 * tentative, without an ID, or confirmed with no identity settled yet (e.g. waiting for an embed worker),
 * undetermined (grey: no face good enough to tell yet), lost, else known or unknown.
 * @param {LiveTrack} track
 * @param {ReturnType<typeof faceColors>} colors
 */
export function trackColor(track, colors) {
  if (track.state === "tentative" || track.id === 0) return colors.identifying;
  if (track.state === "confirmed" && track.undetermined && !track.name) return colors.undetermined;
  if (track.state === "confirmed" && track.identifying) return colors.identifying;
  if (track.state === "lost") return colors.lost;
  return track.name ? colors.known : colors.unknown;
}

/**
 * A track's label: "#3 alice", "#3 unknown", "#3 undetermined" (no face good enough to tell yet), "#3
 * identifying" (no identity settled yet), "new" (tentative), with "(lost)" when predicted.
 * @param {LiveTrack} track
 */
export function trackLabel(track) {
  if (track.state === "tentative" || track.id === 0) return "new";
  return `#${track.id} ${trackWho(track)}${track.state === "lost" ? " (lost)" : ""}`;
}

/**
 * Who a track is, in words: its name, "undetermined", "identifying" or "unknown".
 * @param {LiveTrack} track
 */
export function trackWho(track) {
  if (track.name) return track.name;
  if (track.undetermined) return "undetermined";
  return track.identifying ? "identifying" : "unknown";
}

/**
 * @param {string} base64
 * @returns {Promise<ImageBitmap>}
 */
async function decodeJpeg(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
}

export class LiveView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} status
   * @param {(frame: LiveFrame) => void} onFrame called with each frame drawn (its tracks)
   * @param {(message: string) => void} onError
   */
  constructor(canvas, status, onFrame, onError) {
    this.canvas = canvas;
    this.status = status;
    this.onFrame = onFrame;
    this.onError = onError;
    /** @type {EventSource | null} */
    this.source = null;
    /** @type {LiveFrame | null} */
    this.pending = null;
    this.drawing = false;
    this.camera = "";
    /** @type {number[]} arrival times of the last frames drawn, for the rate */
    this.times = [];
    this.lastFrameAt = 0;
    this.watchdog = 0;
  }

  /**
   * Starts showing `camera` (stops the previous one), at most `fps` frames a second (0: the server's most).
   * @param {string} camera
   * @param {number} [fps]
   */
  show(camera, fps = 0) {
    this.stop();
    this.camera = camera;
    this.lastFrameAt = performance.now();
    this.setStatus(`Connecting to ${camera}…`);
    const source = new EventSource(`/api/live/${encodeURIComponent(camera)}${fps > 0 ? `?fps=${fps}` : ""}`);
    this.source = source;
    source.addEventListener("frame", (event) => {
      this.pending = fromWire(JSON.parse(/** @type {MessageEvent} */ (event).data));
      if (!this.drawing) void this.drawPending();
    });
    source.addEventListener("failure", (event) => {
      const { error } = JSON.parse(/** @type {MessageEvent} */ (event).data);
      this.onError(error);
      this.setStatus(error);
    });
    source.addEventListener("error", () => {
      if (this.source !== source) return;
      this.setStatus(`Connection to ${camera} lost: retrying…`);
      // A 401 here means the token changed: the call sends the browser to the login form.
      api("GET", "/api/session").catch(() => {});
    });
    this.watchdog = window.setInterval(() => {
      if (performance.now() - this.lastFrameAt > SILENCE_S * 1000) {
        this.setStatus(
          `No frame from ${camera} for ${SILENCE_S}+ s: is the camera on and the ingest service running?`,
        );
      }
    }, 1000);
  }

  stop() {
    this.source?.close();
    this.source = null;
    this.pending = null;
    window.clearInterval(this.watchdog);
    this.times = [];
  }

  /** @param {string} text */
  setStatus(text) {
    this.status.textContent = text;
  }

  async drawPending() {
    this.drawing = true;
    try {
      while (this.pending) {
        const frame = this.pending;
        this.pending = null;
        let bitmap;
        try {
          bitmap = await decodeJpeg(frame.jpeg);
        } catch {
          continue; // a damaged frame: the next one comes soon
        }
        if (frame.camera !== this.camera) {
          bitmap.close();
          continue;
        }
        this.draw(frame, bitmap);
        bitmap.close();
        this.onFrame(frame);
        this.report(frame);
      }
    } finally {
      this.drawing = false;
    }
  }

  /**
   * @param {LiveFrame} frame
   * @param {ImageBitmap} bitmap
   */
  draw(frame, bitmap) {
    const canvas = this.canvas;
    if (canvas.width !== frame.width || canvas.height !== frame.height) {
      canvas.width = frame.width;
      canvas.height = frame.height;
    }
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const line = Math.max(2, Math.round(canvas.width / 320));
    const fontSize = Math.max(12, Math.round(canvas.width / 45));
    ctx.font = `600 ${fontSize}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    const colors = faceColors();
    for (const track of frame.tracks) {
      const [x1, y1, x2, y2] = track.box;
      const color = trackColor(track, colors);
      ctx.strokeStyle = color;
      ctx.lineWidth = line;
      ctx.setLineDash(track.state === "confirmed" ? [] : [line * 3, line * 2]);
      ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
      ctx.setLineDash([]);
      const label = trackLabel(track);
      const width = ctx.measureText(label).width + 8;
      const top = y1 - fontSize - 6 >= 0 ? y1 - fontSize - 6 : y2;
      ctx.fillStyle = color;
      ctx.fillRect(x1 - line / 2, top, width, fontSize + 6);
      ctx.fillStyle = "#0b0f14";
      ctx.fillText(label, x1 + 4 - line / 2, top + 3);
    }
    canvas.dataset.seq = String(frame.seq);
    canvas.dataset.tracks = String(frame.tracks.length);
  }

  /** @param {LiveFrame} frame */
  report(frame) {
    const now = performance.now();
    this.lastFrameAt = now;
    this.times.push(now);
    while (this.times.length > 0 && now - /** @type {number} */ (this.times[0]) > 2000) this.times.shift();
    const fps = this.times.length / 2;
    const behind = (Date.now() - frame.timeMs) / 1000;
    const delay = behind >= 0 && behind < 60 ? ` · ${behind.toFixed(1)} s behind` : "";
    const tracking = frame.tracked ? "" : " · no tracking data (is the track service running?)";
    this.setStatus(`${frame.camera} · frame ${frame.seq} · ${fps.toFixed(1)} fps${delay}${tracking}`);
  }
}
