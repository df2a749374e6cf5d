/**
 * Builds the face-quality negative set and the non-face prototype (`pnpm samples:negatives`):
 *
 *   node packages/samples/src/negatives-cli.ts set [FLUENT_ICONS_DIR]
 *     renders the drawings of seed 2 (negative-drawings.ts) and, when given the `icons/modern` folder of the
 *     npm package fluentui-emoji@1.3.0 (MIT; `npm pack fluentui-emoji@1.3.0`), its animal and face emoji on
 *     a plain background; keeps those the detector finds a face in (score ≥ 0.5) and writes them as JPEG to
 *     packages/samples/negatives/{drawings,emoji}/.
 *   node packages/samples/src/negatives-cli.ts prototype
 *     embeds the faces the detector finds in the drawings of seed 1 (never written, never evaluated on) and
 *     writes their mean direction to packages/vision/src/non-face-prototype.ts.
 *
 * The two seeds keep the prototype's training drawings apart from the drawings it is evaluated on; the
 * emoji are another artist's work altogether (see negatives/README.md).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { encodeJpeg, FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import sharp from "sharp";
import { negativeDrawings } from "./negative-drawings.ts";

const root = path.resolve(import.meta.dirname, "..", "..", "..");
const negativesDir = path.join(root, "packages", "samples", "negatives");
const prototypeFile = path.join(root, "packages", "vision", "src", "non-face-prototype.ts");

/** The fluentui-emoji icons used: animal heads, emoji faces, masks and skulls. */
export const FLUENT_EMOJI = [
  "alien",
  "bear",
  "boar",
  "cat-face",
  "clown-face",
  "cow-face",
  "dog-face",
  "dragon-face",
  "fox",
  "frog",
  "full-moon-face",
  "goblin",
  "grinning-cat",
  "grinning-face",
  "hamster",
  "horse-face",
  "jack-o-lantern",
  "koala",
  "lion",
  "monkey-face",
  "moai",
  "mouse-face",
  "neutral-face",
  "new-moon-face",
  "ogre",
  "owl",
  "panda",
  "pig-face",
  "polar-bear",
  "rabbit-face",
  "robot",
  "see-no-evil-monkey",
  "skull",
  "slightly-smiling-face",
  "smiling-face-with-sunglasses",
  "sun-with-face",
  "tiger-face",
  "unicorn",
  "wolf",
];

async function rasterize(svg: string | Buffer, width: number, height: number): Promise<RgbImage> {
  const { data, info } = await sharp(typeof svg === "string" ? Buffer.from(svg) : svg, { density: 144 })
    .resize(width, height, { fit: "contain", background: "#c9c2b4" })
    .flatten({ background: "#c9c2b4" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** An emoji at 120 px on a 320×240 stone-coloured background, left of centre (as on a wall). */
async function emojiScene(svg: Buffer): Promise<RgbImage> {
  const icon = await sharp(svg, { density: 144 }).resize(120, 120).png().toBuffer();
  const { data, info } = await sharp({
    create: { width: 320, height: 240, channels: 3, background: "#c9c2b4" },
  })
    .composite([{ input: icon, left: 70, top: 50 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

async function buildSet(analyzer: FaceAnalyzer, fluentDir: string | undefined): Promise<void> {
  for (const sub of ["drawings", "emoji"])
    rmSync(path.join(negativesDir, sub), { recursive: true, force: true });
  const kept: string[] = [];
  const write = async (sub: string, name: string, image: RgbImage) => {
    const faces = await analyzer.analyze(image, { embed: false, scoreThreshold: 0.5 });
    if (faces.length === 0) return;
    mkdirSync(path.join(negativesDir, sub), { recursive: true });
    writeFileSync(path.join(negativesDir, sub, `${name}.jpg`), await encodeJpeg(image, 90));
    kept.push(`${sub}/${name}.jpg`);
  };
  const drawings = negativeDrawings(12, 2);
  for (const d of drawings) await write("drawings", d.name, await rasterize(d.svg, d.width, d.height));
  const fromDrawings = kept.length;
  if (fluentDir) {
    for (const name of FLUENT_EMOJI) {
      await write("emoji", name, await emojiScene(readFileSync(path.join(fluentDir, `${name}.svg`))));
    }
    // The package's licence goes with the pictures (icons/modern → the package root).
    copyFileSync(path.join(fluentDir, "..", "..", "LICENSE"), path.join(negativesDir, "emoji", "LICENSE"));
  }
  console.log(
    `negatives: ${fromDrawings} of ${drawings.length} drawings and ${kept.length - fromDrawings} of ${fluentDir ? FLUENT_EMOJI.length : 0} emoji fire the detector; written to ${path.relative(root, negativesDir)}`,
  );
}

async function buildPrototype(analyzer: FaceAnalyzer): Promise<void> {
  const sum = new Float64Array(512);
  let n = 0;
  for (const d of negativeDrawings(30, 1)) {
    const image = await rasterize(d.svg, d.width, d.height);
    for (const face of await analyzer.analyze(image, { scoreThreshold: 0.5 })) {
      const e = face.embedding as Float32Array;
      for (let i = 0; i < e.length; i++) sum[i] = (sum[i] as number) + (e[i] as number);
      n++;
    }
  }
  let norm = 0;
  for (const v of sum) norm += v * v;
  // Numbers as Biome prints them (no trailing zeros), lines filled up to its 110 columns.
  const unit = [...sum].map((v) => String(Number((v / Math.sqrt(norm)).toFixed(5))));
  const rows: string[] = [];
  let line = " ";
  for (const u of unit) {
    if (line.length + u.length + 2 > 110) {
      rows.push(line);
      line = " ";
    }
    line += ` ${u},`;
  }
  rows.push(line);
  writeFileSync(
    prototypeFile,
    `// Generated by \`node packages/samples/src/negatives-cli.ts prototype\` (do not edit): the mean direction of
// the embeddings of ${n} detections on non-face drawings (negative-drawings.ts, seed 1) by models/fr_feature.onnx.
// A face whose embedding is close to it is no human face (face-quality.ts, "not a face").

/** Unit vector: the mean direction of the embeddings of non-face detections (see the file comment). */
export const NON_FACE_PROTOTYPE: Float32Array = Float32Array.from([
${rows.join("\n")}
]);
`,
  );
  console.log(`non-face prototype: mean of ${n} embeddings written to ${path.relative(root, prototypeFile)}`);
}

const [command, fluentDir] = process.argv.slice(2);
if (command !== "set" && command !== "prototype") {
  console.error("usage: negatives-cli.ts set [FLUENT_ICONS_DIR] | prototype");
  process.exit(2);
}
const analyzer = await FaceAnalyzer.create();
if (command === "set")
  await buildSet(analyzer, fluentDir && readdirSync(fluentDir).length ? fluentDir : undefined);
else await buildPrototype(analyzer);
