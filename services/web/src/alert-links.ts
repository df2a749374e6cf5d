/**
 * The page's views that notifications link to (web.public_url, see @facetracker/config's page-links.ts):
 * GET /alerts/<alert id> (a small server-rendered page: the face picture, who, camera and time, the clip as
 * a <video>), GET /alerts/<alert id>/face.jpg, and GET/HEAD /clips/<key> (the clip file, Range supported,
 * or a redirect to the presigned S3 URL). With `?exp=…&sig=…` they open without a session: a signature
 * by web.link_secret of that one alert or that one clip, not expired (checked in constant time); a bad or
 * expired link answers 403 with a page that says so. Without a signature they are the page's own views,
 * behind the login like everything else.
 */

import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StoredClips } from "@facetracker/clips";
import { keyPath, type LinkResource, type LinkSigner } from "@facetracker/config";
import type { ActivityFeed, AlertView } from "./activity-feed.ts";
import { serveClip } from "./clip-files.ts";
import { HttpError, pathSegment, sendBytes } from "./http-helpers.ts";

/** What a link view needs of the web service. */
export interface AlertLinkViewsOptions {
  /** Signs and checks the links; undefined without web.link_secret (signed links are then refused). */
  signer: LinkSigner | undefined;
  activity: Pick<ActivityFeed, "alerts" | "alertFace">;
  clips: () => StoredClips;
}

/** The paths of the link views: alert view, its face picture, clip file. */
const ALERT_VIEW = /^\/alerts\/([^/]+)$/;
const ALERT_FACE = /^\/alerts\/([^/]+)\/face\.jpg$/;
const CLIP_FILE = /^\/clips\/(.+)$/;

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

const STYLE = [
  "body{font-family:system-ui,sans-serif;margin:0;background:#111;color:#eee}",
  "main{max-width:56rem;margin:0 auto;padding:1rem}",
  "h1{font-size:1.4rem;margin:.2rem 0 1rem}",
  ".alert{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start}",
  ".face{width:112px;height:112px;border-radius:6px;background:#333}",
  "dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem;margin:0}",
  "dt{color:#aaa}dd{margin:0}",
  "video{width:100%;margin-top:1rem;background:#000;border-radius:6px}",
  ".note{color:#ccc}a{color:#8cf}",
].join("");

/** Headers of the link views: nothing but their own style, pictures and video; never cached or framed. */
const VIEW_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex, nofollow",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; img-src 'self'; media-src 'self' https: http:; " +
    `style-src '${"sha256-"}${createHash("sha256").update(STYLE).digest("base64")}'; ` +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function page(title: string, main: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${main}</main></body></html>`
  );
}

function sendPage(res: ServerResponse, status: number, title: string, main: string, head = false): void {
  const body = page(title, main);
  res.writeHead(status, {
    ...VIEW_HEADERS,
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(head ? undefined : body);
}

/** `2026-12-07 10:15:00 UTC`. */
function formatTime(timeMs: number): string {
  if (!Number.isFinite(timeMs) || timeMs <= 0) return "unknown";
  const iso = new Date(timeMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** Who the alert's face is, as the notification says it. */
function who(alert: AlertView): string {
  if (alert.name) return alert.name;
  if (alert.visitor && alert.visitor.id > 0) return `unknown visitor #${alert.visitor.id}`;
  return "unknown";
}

/** The page of one alert: `links` are its face picture's and its clip's (signed ones for a signed view). */
export function alertViewHtml(
  alert: AlertView,
  links: { face: string; clip: (key: string) => string },
): string {
  const rows: [string, string][] = [
    ["Who", who(alert)],
    ["Camera", alert.camera],
    ["Time", formatTime(alert.timeMs)],
  ];
  if (alert.name) rows.push(["Similarity", alert.similarity.toFixed(2)]);
  else if (alert.closest)
    rows.push(["Closest", `${alert.closest.name} ${alert.closest.similarity.toFixed(2)}`]);
  if (alert.seenAgainCount > 0) rows.push(["Seen again", `${alert.seenAgainCount} time(s)`]);
  const facts = rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("");
  const face = alert.face
    ? `<img class="face" src="${escapeHtml(links.face)}" alt="the face of the alert" width="112" height="112">`
    : "";
  let clip: string;
  const { status, key, error, missing } = alert.clip;
  if ((status === "stored" || status === "partial") && key) {
    const src = escapeHtml(links.clip(key));
    clip =
      `<video controls preload="metadata" src="${src}"></video>` +
      `<p class="note">${status === "partial" ? `Part of the clip is missing (${escapeHtml(missing)}). ` : ""}` +
      `<a href="${src}" download>Download the clip</a></p>`;
  } else if (status === "failed") {
    clip = `<p class="note">The clip could not be recorded: ${escapeHtml(error || "unknown error")}.</p>`;
  } else if (status === "disabled") {
    clip = `<p class="note">No clip is recorded for alerts on this site.</p>`;
  } else {
    clip = `<p class="note">The clip is not stored yet: reload this page in a minute.</p>`;
  }
  const title = `${who(alert)} on ${alert.camera}`;
  return (
    `<h1>FaceTracker: ${escapeHtml(title)}</h1>` + `<div class="alert">${face}<dl>${facts}</dl></div>${clip}`
  );
}

/** The link views; `handleSigned` answers the signed ones, `serve` the same views for a logged-in session. */
export class AlertLinkViews {
  readonly #options: AlertLinkViewsOptions;

  constructor(options: AlertLinkViewsOptions) {
    this.#options = options;
  }

  /**
   * Answers a request for a link view that carries a signature (`exp` or `sig` in its query): the view
   * when the signature is valid, 403 otherwise. False for any other request (left to the login and the
   * page's routes).
   */
  async handleSigned(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (!url.searchParams.has("sig") && !url.searchParams.has("exp")) return false;
    const resource = linkResource(url.pathname);
    if (!resource) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      throw new HttpError(405, `${req.method} is not allowed here (GET, HEAD)`);
    }
    const head = req.method === "HEAD";
    const { signer } = this.#options;
    const exp = url.searchParams.get("exp");
    const sig = url.searchParams.get("sig");
    const check = signer ? signer.check(resource, exp, sig) : "invalid";
    if (check !== "valid") {
      const why =
        check === "expired"
          ? "This link has expired: open the FaceTracker page and log in to see the alert."
          : signer
            ? "This link is not valid (changed, or signed with another secret): open the FaceTracker page and log in."
            : "This site does not give signed links (web.link_secret is not set): open the FaceTracker page and log in.";
      sendPage(res, 403, "FaceTracker: link refused", `<h1>Link refused</h1><p>${escapeHtml(why)}</p>`, head);
      return true;
    }
    const query = `?exp=${encodeURIComponent(exp ?? "")}`;
    await this.#serve(req, res, url, resource, {
      face: (id) => `${encodeURIComponent(id)}/face.jpg${query}&sig=${encodeURIComponent(sig ?? "")}`,
      clip: (key) =>
        `../clips/${keyPath(key)}${query}&sig=${(signer as LinkSigner).sign({ kind: "clip", key }, Number(exp))}`,
    });
    return true;
  }

  /** The view of a link without signature, for a request the login has let through. */
  async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const resource = linkResource(url.pathname);
    if (!resource) return false;
    await this.#serve(req, res, url, resource, {
      face: (id) => `../api/alerts/${encodeURIComponent(id)}/face.jpg`,
      clip: (key) => `../api/clips/${keyPath(key)}`,
    });
    return true;
  }

  async #serve(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    resource: LinkResource,
    links: { face: (id: string) => string; clip: (key: string) => string },
  ): Promise<void> {
    if (resource.kind === "clip") {
      await serveClip(this.#options.clips(), resource.key, req, res);
      return;
    }
    const face = ALERT_FACE.test(url.pathname);
    if (face) {
      const jpeg = await this.#options.activity.alertFace(resource.id);
      if (!jpeg) throw new HttpError(404, "no face picture kept for this alert");
      sendBytes(res, "image/jpeg", jpeg, "private, max-age=3600");
      return;
    }
    const alert = this.#options.activity.alerts().find((a) => a.id === resource.id);
    const head = req.method === "HEAD";
    if (!alert) {
      sendPage(
        res,
        404,
        "FaceTracker: alert not found",
        "<h1>Alert not found</h1><p>The page no longer keeps this alert (it keeps the recent ones). " +
          "Its clip may still be in the clip storage: open the FaceTracker page and log in.</p>",
        head,
      );
      return;
    }
    sendPage(
      res,
      200,
      `FaceTracker: ${who(alert)} on ${alert.camera}`,
      alertViewHtml(alert, { face: links.face(alert.id), clip: links.clip }),
      head,
    );
  }
}

/** The alert or clip a link view's path names; undefined for any other path. */
export function linkResource(pathname: string): LinkResource | undefined {
  const clip = CLIP_FILE.exec(pathname);
  if (clip) return { kind: "clip", key: pathSegment(clip[1] ?? "") };
  const alert = ALERT_VIEW.exec(pathname) ?? ALERT_FACE.exec(pathname);
  if (alert) return { kind: "alert", id: pathSegment(alert[1] ?? "") };
  return undefined;
}
