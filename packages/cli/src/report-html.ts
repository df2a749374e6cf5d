import path from "node:path";
import { describeDamage, type VideoFaces } from "@facetracker/pipeline";
import { FACE_COLORS } from "@facetracker/vision";
import { formatDuration } from "./progress.ts";

const escapeHtml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&quot;" })[c] as string,
  );

const dataUri = (jpeg: Uint8Array | null) =>
  jpeg ? `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` : "";

/** A self-contained HTML report (thumbnails inlined): opens in any browser, no server. */
export function renderReport(result: VideoFaces, generatedAt = new Date()): string {
  const { faces, stats } = result;
  const known = faces.filter((f) => f.identity).length;
  const undetermined = faces.filter((f) => !f.identity && f.undetermined).length;
  const lost = describeDamage(stats);
  const damage = lost
    ? `\n<p class="damaged">Damaged video: ${escapeHtml(lost)}. Faces in those parts may be missing.</p>`
    : "";
  const cards = faces
    .map((f) => {
      const kind = f.identity ? "known" : f.undetermined ? "undetermined" : "unknown";
      const name = f.identity ? escapeHtml(f.identity.name) : kind;
      const sim = f.identity
        ? f.identity.similarity.toFixed(2)
        : kind === "unknown" && f.closest
          ? `closest: ${escapeHtml(f.closest.name)} ${f.closest.similarity.toFixed(2)}`
          : "";
      const img = f.thumbnail
        ? `<img src="${dataUri(f.thumbnail)}" alt="track ${f.trackId}">`
        : `<div class="noimg">no face image</div>`;
      return `<article class="${kind}">
  ${img}
  <h2>#${f.trackId} ${name}${sim ? ` <small>${sim}</small>` : ""}</h2>
  <p>${formatDuration(f.firstTime)}–${formatDuration(f.lastTime)} · frames ${f.firstFrame}–${f.lastFrame} (${f.frames} seen) · ${f.embeddingsComputed} embeddings</p>
</article>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Faces in ${escapeHtml(path.basename(result.source))}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
header p { color: #555; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 1rem; }
article { background: #fff; border-radius: 8px; padding: .6rem; box-shadow: 0 1px 3px #0002; border-top: 4px solid ${FACE_COLORS.known}; }
article.unknown { border-top-color: ${FACE_COLORS.unknown}; }
article.undetermined { border-top-color: ${FACE_COLORS.undetermined}; }
article img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 4px; }
.noimg { aspect-ratio: 1; display: grid; place-items: center; background: #eee; color: #888; }
h2 { font-size: 1rem; margin: .4rem 0 .2rem; } h2 small { color: #666; font-weight: normal; }
article p { font-size: .8rem; color: #555; margin: 0; }
p.damaged { color: #8a1c1c; background: #fdecea; padding: .5rem .8rem; border-radius: 6px; }
</style>
</head>
<body>
<header>
<h1>Faces in ${escapeHtml(path.basename(result.source))}</h1>
<p>${faces.length} tracks (${known} recognised, ${faces.length - known - undetermined} unknown${undetermined ? `, ${undetermined} undetermined` : ""}) · ${stats.frames} frames · ${stats.detections} detections · ${stats.embeddings} embeddings · ${stats.fps.toFixed(1)} frames/s · generated ${escapeHtml(generatedAt.toISOString())}</p>${damage}
</header>
<main>
${cards || "<p>No face was tracked in this video.</p>"}
</main>
</body>
</html>
`;
}
