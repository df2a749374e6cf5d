import {
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  type LoadOptions,
  loadConfig,
  parseConfig,
} from "@facetracker/config";
import type { Gallery } from "@facetracker/gallery";
import {
  analyzeOptionsFrom,
  enrollAccepted,
  enrollmentName,
  openConfiguredGallery,
  reviewEnrollment,
  runtimeOptionsFrom,
} from "@facetracker/pipeline";
import {
  type AnalyzedFace,
  type AnalyzeOptions,
  cosine,
  decodeImage,
  encodeJpeg,
  FaceAnalyzer,
  type ImageInput,
  type RgbImage,
} from "@facetracker/vision";
import { embedLargestFace } from "./largest-face.ts";
import { prefetch } from "./prefetch.ts";
import type { BatchResult, EnrollOptions, EnrollOutcome, EnrollReport, RecognizedFace } from "./types.ts";

export interface RecognizerOptions {
  /** Use this gallery instead of opening the configured one (it is then not closed by close()). */
  gallery?: Gallery;
  /** Share already-loaded models. */
  analyzer?: FaceAnalyzer;
}

const labelOf = (input: ImageInput, index: number) =>
  typeof input === "string" ? input : `image #${index + 1}`;

/**
 * Recognises faces in still images against a face gallery, and enrolls people from photos.
 * Create once (models load once), then call as often as needed; close() releases the gallery.
 */
export class FaceRecognizer {
  readonly config: FaceTrackerConfig;
  readonly gallery: Gallery;
  readonly analyzer: FaceAnalyzer;
  readonly #ownsGallery: boolean;

  private constructor(
    config: FaceTrackerConfig,
    gallery: Gallery,
    analyzer: FaceAnalyzer,
    ownsGallery: boolean,
  ) {
    this.config = config;
    this.gallery = gallery;
    this.analyzer = analyzer;
    this.#ownsGallery = ownsGallery;
  }

  /** Validates the configuration (plain object: defaults apply), loads the models and opens the gallery. */
  static async create(
    config: FaceTrackerConfigInput | FaceTrackerConfig = {},
    options: RecognizerOptions = {},
  ): Promise<FaceRecognizer> {
    const cfg = parseConfig(config);
    const analyzer = options.analyzer ?? (await FaceAnalyzer.create(runtimeOptionsFrom(cfg)));
    const gallery = options.gallery ?? (await openConfiguredGallery(cfg));
    return new FaceRecognizer(cfg, gallery, analyzer, !options.gallery);
  }

  /**
   * Loads the configuration the way the CLI does (YAML file, default $FACETRACKER_CONFIG, then FACETRACKER_*
   * environment variables, then `overrides`) and creates the recognizer.
   */
  static async fromConfig(
    options: LoadOptions = {},
    recognizer: RecognizerOptions = {},
  ): Promise<FaceRecognizer> {
    return FaceRecognizer.create(loadConfig(options), recognizer);
  }

  get threshold(): number {
    return this.config.cosine_similarity_threshold;
  }

  #analyzeOptions(extra: AnalyzeOptions = {}): AnalyzeOptions {
    return analyzeOptionsFrom(this.config, extra);
  }

  /** Faces with their embeddings (no gallery lookup). */
  async detectFaces(image: ImageInput, extra?: AnalyzeOptions): Promise<AnalyzedFace[]> {
    return this.analyzer.analyze(await decodeImage(image), this.#analyzeOptions(extra));
  }

  /** Every face of the image with its identity (or null when unknown). */
  async recognize(image: ImageInput): Promise<RecognizedFace[]> {
    return this.#match(await this.detectFaces(image));
  }

  async #match(faces: AnalyzedFace[]): Promise<RecognizedFace[]> {
    const result: RecognizedFace[] = [];
    for (const face of faces) {
      const embedding = face.embedding as Float32Array;
      const [best] = await this.gallery.search(embedding, { k: 1 });
      const known = best !== undefined && best.similarity >= this.threshold;
      result.push({
        box: face.box,
        score: face.score,
        landmarks: face.landmarks,
        identity: known
          ? { id: best.identityId, name: best.name, attributes: best.attributes, similarity: best.similarity }
          : null,
        bestSimilarity: best?.similarity ?? null,
        embedding,
      });
    }
    return result;
  }

  /**
   * Recognises a sequence of images, pipelined: the next images are read and decoded while the current one
   * is in inference. Results come in input order; an image that fails carries `error` and the batch goes on.
   */
  async *recognizeBatch(
    images: Iterable<ImageInput> | AsyncIterable<ImageInput>,
  ): AsyncGenerator<BatchResult> {
    const decoded = prefetch(images, this.config.runtime.prefetch, (input, index) =>
      decodeImage(input, labelOf(input, index)),
    );
    for await (const item of decoded) {
      if (!item.ok) {
        yield { index: item.index, input: item.input, faces: [], error: item.error };
        continue;
      }
      try {
        const faces = await this.#match(await this.analyzer.analyze(item.value, this.#analyzeOptions()));
        yield { index: item.index, input: item.input, faces, image: item.value };
      } catch (error) {
        yield { index: item.index, input: item.input, faces: [], image: item.value, error: error as Error };
      }
    }
  }

  /** Embedding of the largest face of the image, or undefined when it has no face. */
  embedLargest(image: ImageInput) {
    return embedLargestFace(this.analyzer, image, this.#analyzeOptions());
  }

  /** Cosine similarity of the largest faces of two images; null when either has no face. */
  async verify(a: ImageInput, b: ImageInput): Promise<{ similarity: number | null; same: boolean | null }> {
    const [fa, fb] = [await this.embedLargest(a), await this.embedLargest(b)];
    if (!fa || !fb) return { similarity: null, same: null };
    const similarity = cosine(fa.face.embedding, fb.face.embedding);
    return { similarity, same: similarity >= this.threshold };
  }

  /**
   * Enrolls `name` from photos: the largest face of each. Images with no face, unreadable images, repeats of
   * a picture already enrolled for this person, and faces that already belong to another identity (unless
   * `force`) are not enrolled and are reported, each with its reason (the enrollment policy of
   * @facetracker/pipeline). Nothing already in the gallery changes when no image is enrolled.
   */
  async enroll(name: string, images: ImageInput[], options: EnrollOptions = {}): Promise<EnrollReport> {
    const trimmed = enrollmentName(name);
    // One outcome per input image, in input order.
    const outcomes: EnrollOutcome[] = [];
    const found: {
      index: number;
      label: string;
      source?: string;
      vector: Float32Array;
      aligned: RgbImage;
    }[] = [];
    for (let i = 0; i < images.length; i++) {
      const input = images[i] as ImageInput;
      const label = labelOf(input, i);
      let face: Awaited<ReturnType<FaceRecognizer["embedLargest"]>>;
      try {
        face = await this.embedLargest(input);
      } catch (error) {
        outcomes[i] = { image: label, status: "error", reason: (error as Error).message };
        continue;
      }
      if (!face) {
        outcomes[i] = { image: label, status: "no_face" };
        continue;
      }
      const source = typeof input === "string" ? input : undefined;
      found.push({ index: i, label, source, vector: face.face.embedding, aligned: face.face.aligned });
    }

    const decisions = await reviewEnrollment(
      this.gallery,
      this.config,
      trimmed,
      found.map((f) => f.vector),
      options,
    );
    const accepted: typeof found = [];
    found.forEach((f, k) => {
      const d = decisions[k];
      if (d?.status === "conflict") {
        const { reason, otherIdentity, similarity } = d;
        outcomes[f.index] = { image: f.label, status: "conflict", reason, otherIdentity, similarity };
      } else if (d?.status === "duplicate") {
        outcomes[f.index] = { image: f.label, status: "duplicate", reason: d.reason };
      } else accepted.push(f);
    });
    if (accepted.length === 0) {
      const existing = await this.gallery.get(trimmed);
      return { name: trimmed, identityId: existing?.id, created: false, enrolled: 0, outcomes };
    }
    const embeddings = [];
    for (const a of accepted) {
      const thumbnail = this.config.enroll.thumbnails ? await encodeJpeg(a.aligned, 85) : undefined;
      embeddings.push({ vector: a.vector, source: a.source, thumbnail });
    }
    const enrolled = await enrollAccepted(this.gallery, trimmed, embeddings, options.attributes);
    accepted.forEach((a, k) => {
      outcomes[a.index] = {
        image: a.label,
        status: "enrolled",
        embeddingId: enrolled.embeddingIds[k] as string,
      };
    });
    return {
      name: trimmed,
      identityId: enrolled.identityId,
      created: enrolled.created,
      enrolled: accepted.length,
      outcomes,
    };
  }

  async close(): Promise<void> {
    if (this.#ownsGallery) await this.gallery.close();
  }
}
