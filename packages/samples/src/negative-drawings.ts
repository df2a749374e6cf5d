/**
 * Non-face drawings for the face-quality negative set (packages/samples/negatives): cartoon animal heads
 * (flat or with a soft 3-D shading),
 * coats of arms with an animal head, carved stone reliefs, emoji-like faces, skulls, and patterns with a
 * face's layout (sockets, three holes, rings). Each is an SVG drawn from a seeded random generator, so
 * `pnpm samples:negatives` rebuilds the same set; the detector fires on many of them, which is the point:
 * a track on one must never be confirmed.
 */
import { seededRandom } from "@facetracker/infra";

export const negativeFamilies = [
  "cat",
  "bear",
  "lion",
  "owl",
  "dog",
  "pig",
  "rodent",
  "coat_of_arms",
  "stone_relief",
  "emoji",
  "skull",
  "socket",
  "rings",
] as const;
export type NegativeFamily = (typeof negativeFamilies)[number];

export interface NegativeDrawing {
  name: string;
  family: NegativeFamily;
  /** SVG text, `width`×`height`. */
  svg: string;
  width: number;
  height: number;
}

type Rand = () => number;

const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const between = (r: Rand, lo: number, hi: number) => lo + (hi - lo) * r();
const f = (n: number) => n.toFixed(1);

const FURS = ["#c8894a", "#8a5a32", "#e0c090", "#6e6e6e", "#f0e6d2", "#3b2a1a", "#d9a35f", "#b0b0b0"];
const HERALDIC = ["#b22222", "#1f4e9c", "#1d7a3a", "#d4af37", "#f2f2f2", "#202020", "#6a2c91"];

/** A background: flat, a gradient, brick or stone texture (seeded). */
function backgroundSvg(r: Rand, w: number, h: number): string {
  const kind = pick(r, ["flat", "gradient", "brick", "noise"]);
  const base = pick(r, ["#dcd3c0", "#8aa0b8", "#4d5b4a", "#a9a9a9", "#efe9dc", "#6b4f3a", "#2f3a48"]);
  if (kind === "flat") return `<rect width="${w}" height="${h}" fill="${base}"/>`;
  if (kind === "gradient") {
    return `<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${base}"/><stop offset="1" stop-color="#303030"/></linearGradient></defs><rect width="${w}" height="${h}" fill="url(#bg)"/>`;
  }
  if (kind === "brick") {
    let s = `<rect width="${w}" height="${h}" fill="#9c5b3c"/>`;
    for (let y = 0, row = 0; y < h; y += 18, row++) {
      for (let x = row % 2 ? -20 : 0; x < w; x += 40) {
        s += `<rect x="${x + 1}" y="${y + 1}" width="38" height="16" fill="#b46a45" stroke="#d8cbb8" stroke-width="2"/>`;
      }
    }
    return s;
  }
  const seed = Math.floor(r() * 1000);
  return `<defs><filter id="n"><feTurbulence type="fractalNoise" baseFrequency="0.04" numOctaves="3" seed="${seed}"/><feColorMatrix type="saturate" values="0"/></filter></defs><rect width="${w}" height="${h}" fill="${base}"/><rect width="${w}" height="${h}" filter="url(#n)" opacity="0.45"/>`;
}

/** Two eyes (almond or round), a nose and a mouth of an animal head centred on (cx, cy), head radius s. */
function animalFeatures(r: Rand, cx: number, cy: number, s: number, stroke: string): string {
  const ex = s * between(r, 0.3, 0.45);
  const ey = cy - s * between(r, 0.05, 0.25);
  const er = s * between(r, 0.1, 0.2);
  const iris = pick(r, ["#2e7d32", "#f9a825", "#3e2723", "#1565c0", "#000000"]);
  const eye = (x: number) =>
    `<ellipse cx="${f(x)}" cy="${f(ey)}" rx="${f(er)}" ry="${f(er * between(r, 0.6, 1.1))}" fill="#fff" stroke="${stroke}" stroke-width="2"/><ellipse cx="${f(x)}" cy="${f(ey)}" rx="${f(er * 0.45)}" ry="${f(er * 0.8)}" fill="${iris}"/><circle cx="${f(x - er * 0.2)}" cy="${f(ey - er * 0.3)}" r="${f(er * 0.15)}" fill="#fff"/>`;
  const ny = cy + s * between(r, 0.15, 0.35);
  const nw = s * between(r, 0.1, 0.2);
  const nose = `<path d="M${f(cx - nw)},${f(ny - nw * 0.6)} L${f(cx + nw)},${f(ny - nw * 0.6)} L${f(cx)},${f(ny + nw * 0.6)} Z" fill="${pick(r, ["#e57373", "#3e2723", "#000"])}"/>`;
  const my = ny + s * between(r, 0.15, 0.3);
  const mouth = `<path d="M${f(cx)},${f(ny + nw * 0.6)} L${f(cx)},${f(my - s * 0.05)} M${f(cx - s * 0.25)},${f(my - s * 0.08)} Q${f(cx - s * 0.12)},${f(my + s * 0.05)} ${f(cx)},${f(my - s * 0.05)} Q${f(cx + s * 0.12)},${f(my + s * 0.05)} ${f(cx + s * 0.25)},${f(my - s * 0.08)}" stroke="${stroke}" stroke-width="2.5" fill="none"/>`;
  return eye(cx - ex) + eye(cx + ex) + nose + mouth;
}

function cat(r: Rand, cx: number, cy: number, s: number): string {
  const fur = pick(r, FURS);
  const ear = (side: number) =>
    `<path d="M${f(cx + side * s * 0.85)},${f(cy - s * 0.2)} L${f(cx + side * s * 0.7)},${f(cy - s * 1.35)} L${f(cx + side * s * 0.15)},${f(cy - s * 0.8)} Z" fill="${fur}" stroke="#222" stroke-width="2"/>`;
  let whiskers = "";
  for (const side of [-1, 1]) {
    for (let k = 0; k < 3; k++) {
      const y = cy + s * (0.3 + 0.1 * k);
      whiskers += `<line x1="${f(cx + side * s * 0.3)}" y1="${f(y)}" x2="${f(cx + side * s * 1.1)}" y2="${f(y + (k - 1) * s * 0.12)}" stroke="#222" stroke-width="1.5"/>`;
    }
  }
  return `${ear(-1)}${ear(1)}<ellipse cx="${cx}" cy="${cy}" rx="${f(s)}" ry="${f(s * 0.9)}" fill="${fur}" stroke="#222" stroke-width="2"/>${animalFeatures(r, cx, cy, s, "#222")}${whiskers}`;
}

function bear(r: Rand, cx: number, cy: number, s: number): string {
  const fur = pick(r, FURS);
  const ear = (side: number) =>
    `<circle cx="${f(cx + side * s * 0.75)}" cy="${f(cy - s * 0.75)}" r="${f(s * 0.35)}" fill="${fur}" stroke="#222" stroke-width="2"/><circle cx="${f(cx + side * s * 0.75)}" cy="${f(cy - s * 0.75)}" r="${f(s * 0.18)}" fill="#e0a0a0"/>`;
  return `${ear(-1)}${ear(1)}<circle cx="${cx}" cy="${cy}" r="${f(s)}" fill="${fur}" stroke="#222" stroke-width="2"/><ellipse cx="${cx}" cy="${f(cy + s * 0.4)}" rx="${f(s * 0.45)}" ry="${f(s * 0.33)}" fill="#f3dfc1"/>${animalFeatures(r, cx, cy, s, "#222")}`;
}

function lion(r: Rand, cx: number, cy: number, s: number): string {
  const mane = pick(r, ["#a0522d", "#8b4513", "#cd853f", "#6b3e1e", "#d2a04b"]);
  let spikes = "";
  const n = 14 + Math.floor(r() * 10);
  for (let k = 0; k < n; k++) {
    const a = (2 * Math.PI * k) / n;
    const a2 = (2 * Math.PI * (k + 0.5)) / n;
    spikes += `${k === 0 ? "M" : "L"}${f(cx + Math.cos(a) * s * 1.55)},${f(cy + Math.sin(a) * s * 1.55)} L${f(cx + Math.cos(a2) * s * 1.15)},${f(cy + Math.sin(a2) * s * 1.15)} `;
  }
  return `<path d="${spikes}Z" fill="${mane}" stroke="#3e2723" stroke-width="2"/><circle cx="${cx}" cy="${cy}" r="${f(s)}" fill="#e8b964" stroke="#3e2723" stroke-width="2"/>${animalFeatures(r, cx, cy, s, "#3e2723")}`;
}

function owl(r: Rand, cx: number, cy: number, s: number): string {
  const body = pick(r, FURS);
  const eye = (x: number) =>
    `<circle cx="${f(x)}" cy="${f(cy - s * 0.15)}" r="${f(s * 0.42)}" fill="#f5f5dc" stroke="#333" stroke-width="3"/><circle cx="${f(x)}" cy="${f(cy - s * 0.15)}" r="${f(s * 0.22)}" fill="${pick(r, ["#ff8f00", "#fdd835"])}"/><circle cx="${f(x)}" cy="${f(cy - s * 0.15)}" r="${f(s * 0.1)}" fill="#000"/>`;
  return `<ellipse cx="${cx}" cy="${f(cy + s * 0.2)}" rx="${f(s * 1.05)}" ry="${f(s * 1.25)}" fill="${body}" stroke="#333" stroke-width="2"/><path d="M${f(cx - s * 0.9)},${f(cy - s * 0.7)} L${f(cx - s * 0.6)},${f(cy - s * 1.3)} L${f(cx - s * 0.3)},${f(cy - s * 0.8)} M${f(cx + s * 0.9)},${f(cy - s * 0.7)} L${f(cx + s * 0.6)},${f(cy - s * 1.3)} L${f(cx + s * 0.3)},${f(cy - s * 0.8)}" fill="${body}" stroke="#333" stroke-width="2"/>${eye(cx - s * 0.45)}${eye(cx + s * 0.45)}<path d="M${f(cx - s * 0.12)},${f(cy + s * 0.2)} L${f(cx + s * 0.12)},${f(cy + s * 0.2)} L${f(cx)},${f(cy + s * 0.5)} Z" fill="#f9a825" stroke="#333"/>`;
}

function dog(r: Rand, cx: number, cy: number, s: number): string {
  const fur = pick(r, FURS);
  const ear = (side: number) =>
    `<ellipse cx="${f(cx + side * s * 0.95)}" cy="${f(cy + s * 0.05)}" rx="${f(s * 0.3)}" ry="${f(s * 0.75)}" fill="${pick(r, FURS)}" stroke="#222" stroke-width="2" transform="rotate(${side * 15} ${f(cx + side * s * 0.95)} ${f(cy)})"/>`;
  const tongue = `<ellipse cx="${cx}" cy="${f(cy + s * 0.75)}" rx="${f(s * 0.14)}" ry="${f(s * 0.2)}" fill="#e57373" stroke="#222"/>`;
  return `<ellipse cx="${cx}" cy="${cy}" rx="${f(s * 0.9)}" ry="${f(s)}" fill="${fur}" stroke="#222" stroke-width="2"/>${ear(-1)}${ear(1)}${tongue}${animalFeatures(r, cx, cy, s, "#222")}`;
}

/** A soft radial shading over a head (the 3-D look of emoji and toys): a gradient from light to the fur colour. */
function shaded(r: Rand, fur: string): { defs: string; fill: string } {
  const id = `s${Math.floor(r() * 1e9)}`;
  return {
    defs: `<defs><radialGradient id="${id}" cx="0.4" cy="0.35" r="0.75"><stop offset="0" stop-color="#ffffff" stop-opacity="0.9"/><stop offset="0.25" stop-color="${fur}"/><stop offset="1" stop-color="#3a2a20"/></radialGradient></defs>`,
    fill: `url(#${id})`,
  };
}

function pig(r: Rand, cx: number, cy: number, s: number): string {
  const skin = pick(r, ["#f4a7b9", "#f8bbd0", "#e99a8c", "#d7a0a0", "#c98b8b"]);
  const sh = r() < 0.5 ? shaded(r, skin) : { defs: "", fill: skin };
  const ear = (side: number) =>
    `<path d="M${f(cx + side * s * 0.45)},${f(cy - s * 0.75)} L${f(cx + side * s * 0.95)},${f(cy - s * 1.2)} L${f(cx + side * s * 0.85)},${f(cy - s * 0.45)} Z" fill="${skin}" stroke="#6d4c41" stroke-width="2"/>`;
  const snoutY = cy + s * between(r, 0.15, 0.35);
  const eyeY = cy - s * between(r, 0.1, 0.3);
  const eye = (x: number) =>
    `<ellipse cx="${f(x)}" cy="${f(eyeY)}" rx="${f(s * 0.08)}" ry="${f(s * 0.12)}" fill="#2b1d16"/>`;
  return `${sh.defs}${ear(-1)}${ear(1)}<ellipse cx="${cx}" cy="${cy}" rx="${f(s)}" ry="${f(s * 0.9)}" fill="${sh.fill}" stroke="#6d4c41" stroke-width="2"/>${eye(cx - s * 0.35)}${eye(cx + s * 0.35)}<ellipse cx="${cx}" cy="${f(snoutY)}" rx="${f(s * 0.32)}" ry="${f(s * 0.22)}" fill="#f06292" stroke="#6d4c41" stroke-width="2"/><ellipse cx="${f(cx - s * 0.1)}" cy="${f(snoutY)}" rx="${f(s * 0.05)}" ry="${f(s * 0.09)}" fill="#6d4c41"/><ellipse cx="${f(cx + s * 0.1)}" cy="${f(snoutY)}" rx="${f(s * 0.05)}" ry="${f(s * 0.09)}" fill="#6d4c41"/><path d="M${f(cx - s * 0.2)},${f(snoutY + s * 0.35)} Q${f(cx)},${f(snoutY + s * 0.45)} ${f(cx + s * 0.2)},${f(snoutY + s * 0.35)}" stroke="#6d4c41" stroke-width="2" fill="none"/>`;
}

/** A mouse, hamster or rabbit head: round ears on top, cheeks, a small nose, incisors. */
function rodent(r: Rand, cx: number, cy: number, s: number): string {
  const fur = pick(r, FURS);
  const sh = r() < 0.6 ? shaded(r, fur) : { defs: "", fill: fur };
  const long = r() < 0.3;
  const ear = (side: number) =>
    long
      ? `<ellipse cx="${f(cx + side * s * 0.4)}" cy="${f(cy - s * 1.2)}" rx="${f(s * 0.2)}" ry="${f(s * 0.6)}" fill="${fur}" stroke="#333" stroke-width="2"/>`
      : `<circle cx="${f(cx + side * s * 0.7)}" cy="${f(cy - s * 0.8)}" r="${f(s * 0.4)}" fill="${fur}" stroke="#333" stroke-width="2"/><circle cx="${f(cx + side * s * 0.7)}" cy="${f(cy - s * 0.8)}" r="${f(s * 0.22)}" fill="#f8bbd0"/>`;
  const cheeks = `<ellipse cx="${f(cx - s * 0.55)}" cy="${f(cy + s * 0.3)}" rx="${f(s * 0.35)}" ry="${f(s * 0.3)}" fill="#fff3e0" opacity="0.8"/><ellipse cx="${f(cx + s * 0.55)}" cy="${f(cy + s * 0.3)}" rx="${f(s * 0.35)}" ry="${f(s * 0.3)}" fill="#fff3e0" opacity="0.8"/>`;
  const teeth = `<rect x="${f(cx - s * 0.09)}" y="${f(cy + s * 0.42)}" width="${f(s * 0.08)}" height="${f(s * 0.14)}" fill="#fff" stroke="#333"/><rect x="${f(cx + s * 0.01)}" y="${f(cy + s * 0.42)}" width="${f(s * 0.08)}" height="${f(s * 0.14)}" fill="#fff" stroke="#333"/>`;
  return `${sh.defs}${ear(-1)}${ear(1)}<ellipse cx="${cx}" cy="${cy}" rx="${f(s)}" ry="${f(s * 0.92)}" fill="${sh.fill}" stroke="#333" stroke-width="2"/>${cheeks}${animalFeatures(r, cx, cy, s, "#333")}${teeth}`;
}

function coatOfArms(r: Rand, cx: number, cy: number, s: number): string {
  const field = pick(r, HERALDIC);
  const charge = pick(
    r,
    HERALDIC.filter((c) => c !== field),
  );
  const w = s * 1.5;
  const top = cy - s * 1.5;
  const shield = `<path d="M${f(cx - w)},${f(top)} L${f(cx + w)},${f(top)} L${f(cx + w)},${f(cy + s * 0.3)} Q${f(cx + w)},${f(cy + s * 1.4)} ${f(cx)},${f(cy + s * 1.8)} Q${f(cx - w)},${f(cy + s * 1.4)} ${f(cx - w)},${f(cy + s * 0.3)} Z" fill="${field}" stroke="#d4af37" stroke-width="5"/>`;
  const crown = `<path d="M${f(cx - s * 0.8)},${f(top - 4)} L${f(cx - s * 0.9)},${f(top - s * 0.6)} L${f(cx - s * 0.45)},${f(top - s * 0.3)} L${f(cx)},${f(top - s * 0.75)} L${f(cx + s * 0.45)},${f(top - s * 0.3)} L${f(cx + s * 0.9)},${f(top - s * 0.6)} L${f(cx + s * 0.8)},${f(top - 4)} Z" fill="#d4af37" stroke="#7a5c00" stroke-width="2"/>`;
  const head = pick(r, [lion, bear, cat, owl])(r, cx, cy, s * 0.7);
  const band =
    r() < 0.4
      ? `<rect x="${f(cx - w)}" y="${f(cy + s * 0.9)}" width="${f(2 * w)}" height="${f(s * 0.25)}" fill="${charge}"/>`
      : "";
  return `${shield}${band}${crown}${head}`;
}

/** A grey carved relief of an animal head (a building's ornament): shaded greys, no colour. */
function stoneRelief(r: Rand, cx: number, cy: number, s: number): string {
  const head = pick(r, [lion, bear, cat, dog, owl])(r, cx, cy, s);
  const id = `g${Math.floor(r() * 1e6)}`;
  return `<defs><filter id="${id}"><feColorMatrix type="saturate" values="0"/><feGaussianBlur stdDeviation="${f(between(r, 0.4, 1.6))}"/></filter></defs><rect x="${f(cx - s * 1.8)}" y="${f(cy - s * 1.8)}" width="${f(s * 3.6)}" height="${f(s * 3.6)}" fill="#b8b2a6" stroke="#8a857a" stroke-width="6"/><g filter="url(#${id})">${head}</g>`;
}

function emoji(r: Rand, cx: number, cy: number, s: number): string {
  const fill = pick(r, ["#ffd54f", "#ffca28", "#ffb74d", "#aed581", "#4fc3f7"]);
  const ey = cy - s * between(r, 0.15, 0.35);
  const ex = s * between(r, 0.25, 0.4);
  const eye = (x: number) =>
    `<ellipse cx="${f(x)}" cy="${f(ey)}" rx="${f(s * 0.09)}" ry="${f(s * between(r, 0.12, 0.2))}" fill="#3e2723"/>`;
  const my = cy + s * between(r, 0.25, 0.45);
  return `<circle cx="${cx}" cy="${cy}" r="${f(s)}" fill="${fill}" stroke="#e65100" stroke-width="2"/>${eye(cx - ex)}${eye(cx + ex)}<path d="M${f(cx - s * 0.45)},${f(my - s * 0.1)} Q${f(cx)},${f(my + s * between(r, 0, 0.35))} ${f(cx + s * 0.45)},${f(my - s * 0.1)}" stroke="#3e2723" stroke-width="${f(s * 0.08)}" fill="none" stroke-linecap="round"/>`;
}

function skull(r: Rand, cx: number, cy: number, s: number): string {
  const bone = pick(r, ["#f5f5f0", "#e8e0cc", "#d7ccc8"]);
  let teeth = "";
  for (let k = -3; k <= 3; k++) {
    teeth += `<rect x="${f(cx + k * s * 0.12 - s * 0.05)}" y="${f(cy + s * 0.75)}" width="${f(s * 0.1)}" height="${f(s * 0.2)}" fill="#fff" stroke="#333"/>`;
  }
  return `<ellipse cx="${cx}" cy="${f(cy - s * 0.1)}" rx="${f(s)}" ry="${f(s * 0.95)}" fill="${bone}" stroke="#333" stroke-width="2"/><rect x="${f(cx - s * 0.5)}" y="${f(cy + s * 0.5)}" width="${f(s)}" height="${f(s * 0.5)}" rx="${f(s * 0.1)}" fill="${bone}" stroke="#333" stroke-width="2"/><ellipse cx="${f(cx - s * 0.38)}" cy="${f(cy - s * 0.1)}" rx="${f(s * 0.25)}" ry="${f(s * 0.28)}" fill="#222"/><ellipse cx="${f(cx + s * 0.38)}" cy="${f(cy - s * 0.1)}" rx="${f(s * 0.25)}" ry="${f(s * 0.28)}" fill="#222"/><path d="M${f(cx)},${f(cy + s * 0.2)} L${f(cx - s * 0.1)},${f(cy + s * 0.45)} L${f(cx + s * 0.1)},${f(cy + s * 0.45)} Z" fill="#222"/>${teeth}`;
}

/** A wall socket: a plate with two slots and an earth hole (a face's layout to the eye). */
function socket(r: Rand, cx: number, cy: number, s: number): string {
  const plate = pick(r, ["#f5f5f5", "#eeeeee", "#d6d0c4", "#333333"]);
  const hole = plate === "#333333" ? "#000" : "#222";
  const round = r() < 0.5;
  const slot = (x: number) =>
    round
      ? `<circle cx="${f(x)}" cy="${f(cy - s * 0.15)}" r="${f(s * 0.13)}" fill="${hole}"/>`
      : `<rect x="${f(x - s * 0.05)}" y="${f(cy - s * 0.35)}" width="${f(s * 0.1)}" height="${f(s * 0.38)}" fill="${hole}"/>`;
  return `<rect x="${f(cx - s)}" y="${f(cy - s * 1.1)}" width="${f(2 * s)}" height="${f(2.2 * s)}" rx="${f(s * 0.25)}" fill="${plate}" stroke="#999" stroke-width="2"/><circle cx="${cx}" cy="${cy}" r="${f(s * 0.8)}" fill="${plate}" stroke="#aaa" stroke-width="2"/>${slot(cx - s * 0.35)}${slot(cx + s * 0.35)}<path d="M${f(cx - s * 0.18)},${f(cy + s * 0.5)} A${f(s * 0.18)},${f(s * 0.18)} 0 0 1 ${f(cx + s * 0.18)},${f(cy + s * 0.5)} Z" fill="${hole}"/>`;
}

/** Concentric rings and dots in a face's layout (two "eyes" and a "mouth" bar). */
function rings(r: Rand, cx: number, cy: number, s: number): string {
  const c = pick(r, ["#1b1b1b", "#5d4037", "#0d47a1", "#b71c1c"]);
  let out = `<ellipse cx="${cx}" cy="${cy}" rx="${f(s)}" ry="${f(s * 1.2)}" fill="none" stroke="${c}" stroke-width="4"/>`;
  for (const side of [-1, 1]) {
    for (let k = 1; k <= 3; k++) {
      out += `<circle cx="${f(cx + side * s * 0.4)}" cy="${f(cy - s * 0.25)}" r="${f(s * 0.07 * k)}" fill="none" stroke="${c}" stroke-width="2"/>`;
    }
  }
  return `${out}<rect x="${f(cx - s * 0.35)}" y="${f(cy + s * 0.45)}" width="${f(s * 0.7)}" height="${f(s * 0.1)}" fill="${c}"/><rect x="${f(cx - s * 0.04)}" y="${f(cy - s * 0.1)}" width="${f(s * 0.08)}" height="${f(s * 0.35)}" fill="${c}"/>`;
}

const DRAW: Record<NegativeFamily, (r: Rand, cx: number, cy: number, s: number) => string> = {
  cat,
  bear,
  lion,
  owl,
  dog,
  pig,
  rodent,
  coat_of_arms: coatOfArms,
  stone_relief: stoneRelief,
  emoji,
  skull,
  socket,
  rings,
};

/**
 * `perFamily` drawings of every family, 320×240, the subject at a random place and size on a random
 * background. The same seed gives the same drawings.
 */
export function negativeDrawings(perFamily: number, seed = 1): NegativeDrawing[] {
  const r = seededRandom(seed);
  const width = 320;
  const height = 240;
  const out: NegativeDrawing[] = [];
  for (const family of negativeFamilies) {
    for (let k = 0; k < perFamily; k++) {
      const s = between(r, 22, 60);
      const cx = between(r, s * 1.6, width - s * 1.6);
      const cy = between(r, s * 1.6, height - s * 1.6);
      const body = `${backgroundSvg(r, width, height)}${DRAW[family](r, cx, cy, s)}`;
      out.push({
        name: `${family}_${String(k + 1).padStart(2, "0")}`,
        family,
        width,
        height,
        svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg>`,
      });
    }
  }
  return out;
}
