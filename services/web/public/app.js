/**
 * The operators' page: cameras (tabs) with the live view and its tracks, the alert timeline and the face
 * gallery, kept current by two event streams (/api/live/<camera> and /api/events). Plain ES modules,
 * served as they are by the api service.
 */

import { AlertTimeline } from "./alert-timeline.js";
import { api } from "./api.js";
import { byId, el } from "./dom.js";
import { errorMessage, showError } from "./errors.js";
import { GalleryPanel } from "./gallery-panel.js";
import { LiveView } from "./live-view.js";
import { PersonView } from "./person-view.js";
import { SearchPanel } from "./search-panel.js";
import { TrackList } from "./track-list.js";
import { VisitorsPanel } from "./visitors-panel.js";
import { fromWire } from "./wire.js";

/**
 * @typedef {{ state: string, sinceMs: number, lastError: string, reconnects: number, updatedAtMs: number }}
 *   CameraStatus what ingest last reported of a camera
 * @typedef {{ id: string, source: string, enabled: boolean, alertMode: string, liveMode: string,
 *   player: { webrtc: string, hls: string } | null, status: CameraStatus | null }} Camera
 */

/** How often the cameras' states are read again, ms. */
const STATUS_REFRESH_MS = 5000;

const tracks = new TrackList(byId("track-list"), byId("tracks-empty"));
const timeline = new AlertTimeline(byId("alert-list"), byId("alerts-empty"), {
  form: /** @type {HTMLFormElement} */ (byId("alert-filters")),
  more: /** @type {HTMLButtonElement} */ (byId("alerts-more")),
  status: byId("alerts-status"),
});
new SearchPanel();
const gallery = new GalleryPanel(byId("gallery-list"), byId("gallery-empty"), byId("gallery-count"));
const visitors = new VisitorsPanel(byId("visitor-list"), byId("visitors-empty"));
const person = new PersonView();
const canvas = /** @type {HTMLCanvasElement} */ (byId("live-canvas"));
const player = /** @type {HTMLIFrameElement} */ (byId("live-player"));
const live = new LiveView(
  canvas,
  byId("live-status"),
  (frame) => tracks.update(frame.camera, frame.tracks),
  showError,
);

/** @type {Camera[]} */
let cameras = [];

/**
 * Shows a camera: its live view, its tracks, and links to its MediaMTX player when it has one.
 * @param {string} id
 */
function selectCamera(id) {
  const camera = cameras.find((c) => c.id === id);
  if (!camera) return;
  for (const button of byId("camera-tabs").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.camera === id));
  }
  if (location.hash !== `#${encodeURIComponent(id)}`)
    history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  tracks.clear(id);
  showFrames(camera);
  byId("camera-status").textContent = `${camera.id}: ${statusText(camera)}`;
  const links = byId("player-links");
  links.replaceChildren();
  if (camera.player) {
    const { webrtc, hls } = camera.player;
    links.append(
      el("button", {
        type: "button",
        class: "quiet",
        text: "Restream (WebRTC)",
        onclick: () => (player.hidden ? showPlayer(webrtc) : showFrames(camera)),
      }),
      el("a", { href: webrtc, target: "_blank", rel: "noopener", text: "WebRTC ↗" }),
      el("a", { href: hls, target: "_blank", rel: "noopener", text: "HLS ↗" }),
    );
  }
}

/** @param {Camera} camera */
function showFrames(camera) {
  player.hidden = true;
  player.removeAttribute("src");
  canvas.hidden = false;
  live.show(camera.id);
}

/** The multi-camera grid's live views (each camera at GRID_FPS). */
/** @type {LiveView[]} */
let gridViews = [];
const GRID_FPS = 2;

/**
 * Shows every camera at once (a tile each: its live view, name and state; a tile opens the camera), or
 * goes back to the one camera.
 * @param {boolean} on
 */
function showGrid(on) {
  byId("grid-toggle").setAttribute("aria-pressed", String(on));
  for (const view of gridViews) view.stop();
  gridViews = [];
  const grid = byId("camera-grid");
  grid.hidden = !on;
  const single = /** @type {HTMLElement} */ (canvas.closest(".view"));
  single.hidden = on;
  if (!on) {
    grid.replaceChildren();
    const current = decodeURIComponent(location.hash.slice(1));
    if (cameras.some((c) => c.id === current)) selectCamera(current);
    return;
  }
  live.stop();
  grid.replaceChildren(
    ...cameras.map((c) => {
      const tile = /** @type {HTMLCanvasElement} */ (
        el("canvas", { width: 320, height: 180, "aria-label": `Live view of ${c.id}` })
      );
      const status = el("p", { class: "status muted" });
      const view = new LiveView(tile, status, () => {}, showError);
      view.show(c.id, GRID_FPS);
      gridViews.push(view);
      return el(
        "figure",
        {
          class: "grid-tile",
          "data-camera": c.id,
          "data-state": c.status?.state ?? "unknown",
          title: `Open ${c.id}`,
          onclick: () => {
            location.hash = `#${encodeURIComponent(c.id)}`;
            showGrid(false);
          },
        },
        tile,
        el("figcaption", { text: `${c.id} · ${statusText(c)}` }),
        status,
      );
    }),
  );
}

/** @param {string} url */
function showPlayer(url) {
  live.stop();
  canvas.hidden = true;
  player.src = url;
  player.hidden = false;
  byId("live-status").textContent = "MediaMTX restream (annotated by the restream service).";
}

/**
 * What a camera's status says, e.g. "down since 10:42:05, reconnecting (12 attempts): connection refused".
 * @param {Camera} camera
 */
function statusText(camera) {
  const s = camera.status;
  if (!s) return "no report from ingest yet";
  const since = new Date(s.sinceMs).toLocaleTimeString();
  const error = s.lastError ? `: ${s.lastError}` : "";
  switch (s.state) {
    case "up":
      return `up since ${since}${s.reconnects > 0 ? ` (${s.reconnects} reconnects so far)` : ""}`;
    case "reconnecting":
      return `down since ${since}, reconnecting (${s.reconnects} attempts)${error}`;
    default:
      return `${s.state} since ${since}${error}`;
  }
}

/**
 * Shows each camera's state on its tab (a coloured dot, the text in its tooltip) and under the view.
 * @param {HTMLButtonElement} button
 * @param {Camera} camera
 */
function showStatus(button, camera) {
  button.dataset.state = camera.status?.state ?? "unknown";
  button.title = `${camera.source} · alerts ${camera.alertMode}${camera.enabled ? "" : " · disabled"} · ${statusText(camera)}`;
}

/** Reads the cameras' states again (the tabs stay as they are). */
async function refreshStatuses() {
  try {
    ({ cameras } = await api("GET", "/api/cameras"));
  } catch {
    return; // the connection badge says when the page lost the server
  }
  for (const tile of byId("camera-grid").querySelectorAll("figure")) {
    const camera = cameras.find((c) => c.id === /** @type {HTMLElement} */ (tile).dataset.camera);
    if (!camera) continue;
    /** @type {HTMLElement} */ (tile).dataset.state = camera.status?.state ?? "unknown";
    const caption = tile.querySelector("figcaption");
    if (caption) caption.textContent = `${camera.id} · ${statusText(camera)}`;
  }
  for (const button of byId("camera-tabs").querySelectorAll("button")) {
    const camera = cameras.find((c) => c.id === button.dataset.camera);
    if (camera) showStatus(/** @type {HTMLButtonElement} */ (button), camera);
    if (camera && button.getAttribute("aria-pressed") === "true") {
      byId("camera-status").textContent = `${camera.id}: ${statusText(camera)}`;
    }
  }
}

async function loadCameras() {
  try {
    ({ cameras } = await api("GET", "/api/cameras"));
  } catch (error) {
    showError(`The cameras cannot be listed: ${errorMessage(error)}`);
    return;
  }
  const cameraFilter = /** @type {HTMLSelectElement} */ (
    byId("alert-filters").querySelector("select[name=camera]")
  );
  cameraFilter.replaceChildren(
    el("option", { value: "", text: "all" }),
    ...cameras.map((c) => el("option", { value: c.id, text: c.id })),
  );
  const tabs = byId("camera-tabs");
  tabs.replaceChildren(
    ...cameras.map((c) => {
      const button = el("button", {
        type: "button",
        "data-camera": c.id,
        "aria-pressed": "false",
        text: c.id,
        onclick: () => selectCamera(c.id),
      });
      showStatus(/** @type {HTMLButtonElement} */ (button), c);
      return button;
    }),
  );
  if (cameras.length === 0) {
    byId("live-status").textContent =
      "No camera yet: add one in the configuration (cameras) or with the API (AddCamera).";
    return;
  }
  const wanted = decodeURIComponent(location.hash.slice(1));
  selectCamera(cameras.some((c) => c.id === wanted) ? wanted : /** @type {Camera} */ (cameras[0]).id);
}

/** Alerts and gallery changes, as they happen. */
function followEvents() {
  const badge = byId("connection");
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => {
    badge.dataset.state = "live";
    badge.textContent = "live";
    // The first page from the alerts stream (again after a reconnection: what came meanwhile).
    void timeline.load();
  });
  source.addEventListener("alert", (event) => {
    const alert = fromWire(JSON.parse(/** @type {MessageEvent} */ (event).data));
    timeline.live(alert);
    if (alert.visitor) void visitors.reload();
  });
  source.addEventListener("gallery", () => {
    void gallery.reload();
    void visitors.reload();
    person.refresh();
  });
  source.addEventListener("error", () => {
    badge.dataset.state = "down";
    badge.textContent = "disconnected: retrying…";
    api("GET", "/api/session").catch(() => {});
  });
}

byId("grid-toggle").addEventListener("click", () =>
  showGrid(byId("grid-toggle").getAttribute("aria-pressed") !== "true"),
);

async function start() {
  try {
    const session = await api("GET", "/api/session");
    byId("logout").hidden = !session.tokenRequired;
  } catch (error) {
    showError(errorMessage(error));
  }
  followEvents();
  await Promise.all([loadCameras(), gallery.reload(), visitors.reload()]);
  setInterval(() => void refreshStatuses(), STATUS_REFRESH_MS);
}

void start();
