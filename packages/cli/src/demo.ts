/**
 * The quick-start demo: builds a gallery from the registry-shipped sample photos and recognises them.
 * Each person of sample1.jpg is enrolled from a generated variant of their face (mirrored, rescaled,
 * darker): a different picture from the one then recognised. The other samples show other people, who
 * must stay unknown.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveFile } from "@facetracker/models";
import { FaceRecognizer } from "@facetracker/sdk";
import { cropImage, decodeImage, drawLabels } from "@facetracker/vision";
import sharp from "sharp";
import { labelFor } from "./commands/recognize.ts";

const out = path.resolve(process.argv[2] ?? "data/demo");
const galleryDir = path.join(out, "gallery");
await rm(galleryDir, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const samples = [1, 2, 3, 4, 5, 6].map((i) => resolveFile(`sample${i}`));
const recognizer = await FaceRecognizer.create({ db_path: galleryDir });
try {
  const first = await decodeImage(samples[0] as string);
  const faces = await recognizer.detectFaces(first, { embed: false });
  faces.sort((a, b) => a.box[0] - b.box[0]);
  console.log(`demo: ${faces.length} people in sample1.jpg; enrolling each from a mirrored, rescaled, darker copy`);
  for (const [i, face] of faces.entries()) {
    const [x1, y1, x2, y2] = face.box;
    const m = 0.6 * Math.max(x2 - x1, y2 - y1);
    const crop = cropImage(first, [x1 - m, y1 - m, x2 + m, y2 + m]);
    const variant = await sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
      .flop()
      .resize({ width: Math.round(crop.width * 0.7) })
      .modulate({ brightness: 0.8 })
      .jpeg()
      .toBuffer();
    const file = path.join(out, `enroll-person-${i + 1}.jpg`);
    await writeFile(file, variant);
    const report = await recognizer.enroll(`person-${i + 1}`, [file]);
    console.log(`demo: enrolled person-${i + 1} from ${path.relative(process.cwd(), file)} (${report.enrolled} face)`);
  }
  console.log("demo: recognising the six sample photos");
  for await (const r of recognizer.recognizeBatch(samples)) {
    const file = samples[r.index] as string;
    if (r.error) throw r.error;
    const names = r.faces.map((f) => (f.identity ? `${f.identity.name} (${f.identity.similarity.toFixed(2)})` : "unknown"));
    const annotated = path.join(out, `${path.parse(file).name}.annotated.jpg`);
    await writeFile(annotated, await drawLabels(await decodeImage(file), r.faces.map(labelFor)));
    console.log(`  ${path.basename(file)}: ${names.join(", ")}  →  ${path.relative(process.cwd(), annotated)}`);
  }
  console.log(`demo: done. Try: pnpm facetracker recognize --db ${path.relative(process.cwd(), galleryDir)} YOUR_PHOTO.jpg`);
} finally {
  await recognizer.close();
}
