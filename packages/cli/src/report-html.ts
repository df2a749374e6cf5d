import { createHash } from "node:crypto";
import path from "node:path";
import { describeDamage, type FaceSummary, type VideoFaces } from "@facetracker/pipeline";
import { FACE_COLORS } from "@facetracker/vision";

const escapeHtml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&quot;" })[c] as string,
  );

const dataUri = (jpeg: Uint8Array | null) =>
  jpeg ? `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` : "";

/** What the report knows of the video beyond the analysis (all optional). */
export interface ReportOptions {
  generatedAt?: Date;
  /** The video's length, seconds (the timeline's span; default: up to the last face seen). */
  durationS?: number;
  /**
   * The video the page plays and seeks to a moment clicked: a URL, relative to the report's folder (the
   * annotated copy, or the file analysed when a browser can play it). `annotated`: it is the annotated copy.
   */
  video?: { src: string; annotated: boolean };
  /**
   * The wall clock of the video: `startMs` (ms since the epoch) is its time 0, and `frameTimesMs` the capture
   * time of each frame when known (a stored clip's side file). `note` says where it comes from.
   */
  clock?: { startMs: number; frameTimesMs?: readonly (number | undefined)[]; note: string };
  /**
   * The command that enrolls a track as someone, as arguments: NAME_ARG and TRACK_ARG stand for the name
   * and the track ID. `{ unavailable }`: why there is none (a stream cannot be read again).
   */
  enroll?: { args: readonly string[] } | { unavailable: string };
}

/** Placeholders in ReportOptions.enroll's arguments. */
export const NAME_ARG = "\u0000NAME";
export const TRACK_ARG = "\u0000TRACK";

/** An argument as a POSIX shell reads it back: bare when safe, else in single quotes. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Seconds as m:ss.mmm (h:mm:ss.mmm from an hour): "0:12.345". */
export function formatTime(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const rest = `${String(s).padStart(2, "0")}.${String(ms % 1000).padStart(3, "0")}`;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** The time a seek goes to, seconds with milliseconds (as data-t carries it). */
const seekTime = (seconds: number) => String(Math.round(seconds * 1000) / 1000);

/** "1.2 s", "2 min 3.4 s". */
function formatSpan(seconds: number): string {
  const s = Math.round(seconds * 10) / 10;
  return s >= 60 ? `${Math.floor(s / 60)} min ${(s % 60).toFixed(1)} s` : `${s.toFixed(1)} s`;
}

/** Ticks of the time axis: about 6–10, at 1-2-5 steps. */
function ticks(spanS: number): number[] {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  const step = steps.find((s) => spanS / s <= 10) ?? Math.ceil(spanS / 10 / 3600) * 3600;
  const out: number[] = [];
  for (let t = 0; t <= spanS + 1e-9; t += step) out.push(Math.round(t * 1000) / 1000);
  return out;
}

/** The report's inline script: seek on click, sort, filter, playhead, local wall-clock times. */
const SCRIPT = `"use strict";
const player = document.getElementById("player");
const shown = document.getElementById("moment");
const span = Number(document.body.dataset.span);
function seek(t) {
  if (player) {
    player.currentTime = t;
    player.scrollIntoView({ block: "nearest" });
  }
  if (shown) shown.textContent = "at " + (document.querySelector('[data-t="' + t + '"]')?.dataset.label || t.toFixed(3) + " s");
}
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const lane = target?.closest(".lane");
  if (lane && event.detail > 0) {
    // A click on the timeline: the moment under the pointer (within a bar: within its segment).
    const box = lane.getBoundingClientRect();
    let t = ((event.clientX - box.left) / box.width) * span;
    const bar = target.closest(".bar");
    if (bar) t = Math.min(Math.max(t, Number(bar.dataset.t)), Number(bar.dataset.end));
    seek(Math.round(Math.max(0, t) * 1000) / 1000);
    return;
  }
  const at = target?.closest("[data-t]");
  if (at) seek(Number(at.dataset.t));
});
const list = document.getElementById("tracks");
const sort = document.getElementById("sort");
const filter = document.getElementById("filter");
function arrange() {
  const rows = [...list.querySelectorAll(".track")];
  const key = sort.value;
  rows.sort((a, b) =>
    key === "name"
      ? a.dataset.name.localeCompare(b.dataset.name) || Number(a.dataset.first) - Number(b.dataset.first)
      : key === "duration"
        ? Number(b.dataset.duration) - Number(a.dataset.duration) || Number(a.dataset.first) - Number(b.dataset.first)
        : Number(a.dataset.first) - Number(b.dataset.first) || Number(a.dataset.track) - Number(b.dataset.track),
  );
  const words = filter.value.trim().toLowerCase();
  for (const row of rows) {
    row.hidden = words !== "" && !row.dataset.name.toLowerCase().includes(words);
    list.append(row);
  }
}
sort?.addEventListener("change", arrange);
filter?.addEventListener("input", arrange);
const head = document.getElementById("playhead");
player?.addEventListener("timeupdate", () => {
  if (head) {
    head.hidden = false;
    head.style.left = Math.min(100, (player.currentTime / span) * 100) + "%";
  }
});
for (const time of document.querySelectorAll("time.wall")) {
  const d = new Date(time.dateTime);
  time.textContent = d.toLocaleDateString() + " " + d.toLocaleTimeString(undefined, { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}
`;

/** The Content-Security-Policy of the page: nothing but itself, its images and the video beside it. */
function contentSecurityPolicy(): string {
  const hash = createHash("sha256").update(SCRIPT).digest("base64");
  return `default-src 'none'; img-src data:; media-src 'self' file:; style-src 'unsafe-inline'; script-src 'sha256-${hash}'`;
}

/**
 * A self-contained HTML report (thumbnails and script inlined, no remote load): the video (when given)
 * above a timeline with one row per track, bars where it was on screen; a click on a bar or a time seeks
 * the video there. Exact times (milliseconds; the wall clock too when known), the identity or the closest
 * one, the enroll command of each track; sorting and a filter by name.
 */
export function renderReport(result: VideoFaces, options: ReportOptions = {}): string {
  const { faces, stats } = result;
  const generatedAt = options.generatedAt ?? new Date();
  const known = faces.filter((f) => f.identity).length;
  const undetermined = faces.filter((f) => !f.identity && f.undetermined).length;
  const lost = describeDamage(stats);
  const damage = lost
    ? `\n<p class="damaged">Damaged video: ${escapeHtml(lost)}. Faces in those parts may be missing.</p>`
    : "";
  const lastSeen = Math.max(0, ...faces.map((f) => f.lastTime));
  const span = Math.max(options.durationS ?? 0, lastSeen) || 1;
  const pct = (t: number) => `${(Math.round((t / span) * 100_000) / 1000).toString()}%`;
  const clock = options.clock;
  const wallMs = (t: number, frame: number) =>
    clock?.frameTimesMs?.[frame] ?? (clock ? clock.startMs + t * 1000 : 0);
  /** A moment of the video: a button that seeks there, with the wall clock when known. */
  const moment = (t: number, frame: number) => {
    const offset = formatTime(t);
    if (!clock) return `<button class="t" data-t="${seekTime(t)}" data-label="${offset}">${offset}</button>`;
    const iso = new Date(wallMs(t, frame)).toISOString();
    return `<button class="t" data-t="${seekTime(t)}" data-label="${iso}" title="${offset} into the video"><time class="wall" datetime="${iso}">${iso}</time></button>`;
  };
  const segmentsOf = (f: FaceSummary) =>
    f.segments.length > 0
      ? f.segments
      : [{ firstFrame: f.firstFrame, lastFrame: f.lastFrame, firstTime: f.firstTime, lastTime: f.lastTime }];
  const enroll = options.enroll;
  const rows = faces
    .map((f) => {
      const kind = f.identity ? "known" : f.undetermined ? "undetermined" : "unknown";
      const name = f.identity ? f.identity.name : kind;
      const sim = f.identity
        ? f.identity.similarity.toFixed(2)
        : kind === "unknown" && f.closest
          ? `— closest: ${escapeHtml(f.closest.name)} ${f.closest.similarity.toFixed(2)}`
          : "";
      const img = f.thumbnail
        ? `<img src="${dataUri(f.thumbnail)}" alt="track ${f.trackId}">`
        : `<div class="noimg">no face image</div>`;
      const segments = segmentsOf(f);
      const onScreen = segments.reduce((s, g) => s + (g.lastTime - g.firstTime), 0);
      const bars = segments
        .map(
          (g) =>
            `<button class="bar" data-t="${seekTime(g.firstTime)}" data-end="${seekTime(g.lastTime)}" style="left:${pct(g.firstTime)};width:${pct(g.lastTime - g.firstTime)}" title="${escapeHtml(`#${f.trackId} ${name}`)}: ${formatTime(g.firstTime)}–${formatTime(g.lastTime)}"></button>`,
        )
        .join("");
      const list =
        segments.length > 1
          ? `\n    <p class="segments">On screen ${segments.length} times: ${segments.map((g) => `${moment(g.firstTime, g.firstFrame)}–${moment(g.lastTime, g.lastFrame)}`).join(", ")}</p>`
          : "";
      let command = "";
      if (enroll && "args" in enroll) {
        const text = enroll.args
          .map((a) =>
            a === NAME_ARG
              ? f.identity
                ? shellQuote(f.identity.name)
                : "NAME"
              : a === TRACK_ARG
                ? String(f.trackId)
                : shellQuote(a),
          )
          .join(" ");
        command = `\n    <p class="enroll">${f.identity ? "Enroll more of this face" : "Enroll this face"}: <code>${escapeHtml(text)}</code>${f.identity ? "" : " <small>(NAME: who it is)</small>"}</p>`;
      } else if (enroll) {
        command = `\n    <p class="enroll">${escapeHtml(enroll.unavailable)}</p>`;
      }
      return `<article class="track ${kind}" data-track="${f.trackId}" data-name="${escapeHtml(name)}" data-first="${seekTime(f.firstTime)}" data-duration="${seekTime(onScreen)}">
  ${img}
  <div class="info">
    <h2>#${f.trackId} ${escapeHtml(name)}${sim ? ` <small>${sim}</small>` : ""}</h2>
    <p>${moment(f.firstTime, f.firstFrame)}–${moment(f.lastTime, f.lastFrame)} · ${formatSpan(onScreen)} on screen · frames ${f.firstFrame}–${f.lastFrame} (${f.frames} seen) · ${f.embeddingsComputed} embeddings</p>${list}${command}
  </div>
  <div class="lane">${bars}</div>
</article>`;
    })
    .join("\n");
  const axis = ticks(span)
    .map((t) => `<span style="left:${pct(t)}">${formatTime(t).replace(/\.000$/, "")}</span>`)
    .join("");
  const video = options.video
    ? `<video id="player" controls preload="metadata" src="${escapeHtml(options.video.src)}"></video>
<p class="hint">${options.video.annotated ? "The annotated copy" : "The video"} (${escapeHtml(decodeURIComponent(options.video.src))}): click a bar or a time to watch that moment.</p>`
    : `<p class="hint">No video to play here (write an annotated copy with --annotate next to the report to watch each moment): a click on the timeline says its time. <span id="moment"></span></p>`;
  const clockNote = clock
    ? ` · times on the wall clock (your time zone; ${escapeHtml(clock.note)}), from ${escapeHtml(new Date(clock.startMs).toISOString())}`
    : "";
  const title = `Faces in ${escapeHtml(path.basename(result.source))}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
header p, p.hint { color: #555; }
video { display: block; max-width: 100%; max-height: 60vh; background: #000; border-radius: 6px; }
.controls { display: flex; gap: 1rem; align-items: center; margin: 1rem 0 .5rem; }
.track, .axis { display: grid; grid-template-columns: 64px minmax(16rem, 28rem) 1fr; gap: .4rem .8rem; align-items: center; }
.track { background: #fff; border-radius: 6px; padding: .4rem; margin-bottom: .4rem; box-shadow: 0 1px 3px #0002; border-left: 4px solid ${FACE_COLORS.known}; }
.axis { padding: 0 .4rem; border-left: 4px solid transparent; }
.track[hidden] { display: none; }
.track.unknown { border-left-color: ${FACE_COLORS.unknown}; }
.track.undetermined { border-left-color: ${FACE_COLORS.undetermined}; }
.track img, .noimg { width: 64px; height: 64px; object-fit: cover; border-radius: 4px; }
.noimg { display: grid; place-items: center; background: #eee; color: #888; font-size: .6rem; text-align: center; }
h2 { font-size: 1rem; margin: 0 0 .2rem; } h2 small { color: #666; font-weight: normal; }
.info p { font-size: .8rem; color: #555; margin: .1rem 0; }
.enroll code { user-select: all; background: #f0f0f0; padding: 0 .3rem; border-radius: 3px; word-break: break-all; }
button.t { font: inherit; color: #1558b0; background: none; border: 0; padding: 0; cursor: pointer; text-decoration: underline dotted; }
.lane, .ticks { position: relative; height: 28px; }
.lane { background: repeating-linear-gradient(90deg, #f4f4f4 0 1px, transparent 1px 10%); border-radius: 4px; cursor: pointer; }
.bar { position: absolute; top: 4px; bottom: 4px; min-width: 3px; padding: 0; border: 0; border-radius: 3px; background: ${FACE_COLORS.known}; cursor: pointer; }
.unknown .bar { background: ${FACE_COLORS.unknown}; } .undetermined .bar { background: ${FACE_COLORS.undetermined}; }
.ticks span { position: absolute; bottom: 0; transform: translateX(-50%); font-size: .7rem; color: #777; }
#playhead { position: absolute; top: 0; bottom: 0; width: 2px; background: #1558b0; pointer-events: none; }
.timeline { position: relative; }
p.damaged { color: #8a1c1c; background: #fdecea; padding: .5rem .8rem; border-radius: 6px; }
</style>
</head>
<body data-span="${seekTime(span)}">
<header>
<h1>${title}</h1>
<p>${faces.length} tracks (${known} recognised, ${faces.length - known - undetermined} unknown${undetermined ? `, ${undetermined} undetermined` : ""}) · ${stats.frames} frames · ${stats.detections} detections · ${stats.embeddings} embeddings · ${stats.fps.toFixed(1)} frames/s${clockNote} · generated ${escapeHtml(generatedAt.toISOString())}</p>${damage}
</header>
${video}
<div class="controls">
<label>Sort by <select id="sort"><option value="first">first appearance</option><option value="name">name</option><option value="duration">time on screen</option></select></label>
<label>Name <input id="filter" type="search" placeholder="filter by name"></label>
</div>
<section class="timeline">
<div class="axis"><span></span><span>${formatTime(0)} – ${formatTime(span)}</span><div class="ticks">${axis}<i id="playhead" hidden></i></div></div>
<div id="tracks">
${rows || "<p>No face was tracked in this video.</p>"}
</div>
</section>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
