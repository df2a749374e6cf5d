/**
 * The quick-start demo (pnpm demo [OUTDIR], run by scripts/setup.sh): builds a gallery from the registry-shipped sample photos and
 * recognises them. Each person of sample1.jpg is enrolled from a generated variant of their face (mirrored,
 * rescaled, darker), a different picture from the one then recognised. The other samples show other
 * people, who should stay unknown (sample3 seems to show person-3 again, and the model names her). Annotated copies go to OUTDIR (default data/demo).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { samplePhotos, writeSampleFaceVariants } from "@facetracker/samples";
import { FaceRecognizer } from "@facetracker/sdk";
import { drawLabels, type RgbImage } from "@facetracker/vision";
import { labelFor } from "./commands/recognize.ts";

const out = path.resolve(process.argv[2] ?? "data/demo");
const rel = (p: string) => path.relative(process.cwd(), p);
const galleryDir = path.join(out, "gallery");
await rm(galleryDir, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const recognizer = await FaceRecognizer.create({ db_path: galleryDir });
try {
  const variants = await writeSampleFaceVariants(recognizer.analyzer, out);
  console.log(
    `demo: ${variants.length} people in sample1.jpg; enrolling each from a mirrored, smaller, darker copy`,
  );
  for (const file of variants) {
    const name = path.parse(file).name;
    const report = await recognizer.enroll(name, [file]);
    if (report.enrolled !== 1)
      throw new Error(`demo: could not enroll ${name}: ${JSON.stringify(report.outcomes)}`);
    console.log(`  enrolled ${name} from ${rel(file)}`);
  }
  const samples = samplePhotos();
  console.log("demo: recognising the six sample photos");
  for await (const r of recognizer.recognizeBatch(samples)) {
    const file = samples[r.index] as string;
    if (r.error) throw r.error;
    const names = r.faces.map((f) =>
      f.identity ? `${f.identity.name} (${f.identity.similarity.toFixed(2)})` : "unknown",
    );
    const annotated = path.join(out, `${path.parse(file).name}.annotated.jpg`);
    await writeFile(annotated, await drawLabels(r.image as RgbImage, r.faces.map(labelFor)));
    console.log(`  ${path.basename(file)}: ${names.join(", ")}  →  ${rel(annotated)}`);
  }
  console.log(
    `demo: done. Next: facetracker recognize --db ${rel(galleryDir)} --annotate out/ YOUR_PHOTO.jpg`,
  );
} finally {
  await recognizer.close();
}
