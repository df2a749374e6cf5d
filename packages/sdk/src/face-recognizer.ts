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
  embedPhotoFace,
  enrollFromPhotos,
  openConfiguredGallery,
  photoLabel,
  runtimeOptionsFrom,
} from "@facetracker/pipeline";
import {
  type AnalyzedFace,
  type AnalyzeOptions,
  cosine,
  decodeImage,
  FaceAnalyzer,
  type FaceChoice,
  type ImageInput,
} from "@facetracker/vision";
import { prefetch } from "./prefetch.ts";
import type {
  BatchResult,
  EnrollOptions,
  EnrollReport,
  RecognizedFace,
  VerifyOptions,
  VerifyResult,
} from "./types.ts";

export interface RecognizerOptions {
  /** Use this gallery instead of opening the configured one (it is then not closed by close()). */
  gallery?: Gallery;
  /** Share already-loaded models. */
  analyzer?: FaceAnalyzer;
}

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
    const decoded = await decodeImage(image, undefined, { maxPixels: this.config.limits.max_image_pixels });
    return this.analyzer.analyze(decoded, this.#analyzeOptions(extra));
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
      decodeImage(input, photoLabel(input, index), { maxPixels: this.config.limits.max_image_pixels }),
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

  /**
   * The face `verify` and `enroll` take from a photo, embedded: its subject (the large face covering the
   * image centre, else the largest), or the face `choice` picks (`{ index }`: 1-based, left to right;
   * `{ box }`). Undefined when the image has no face; throws FaceChoiceError when `choice` names no face.
   */
  embedFace(image: ImageInput, choice?: FaceChoice) {
    return embedPhotoFace(
      this.analyzer,
      image,
      this.#analyzeOptions(),
      { maxPixels: this.config.limits.max_image_pixels },
      choice,
    );
  }

  /**
   * Cosine similarity of the faces of two photos (each photo's subject, or the face `options.a` / `.b`
   * picks) and whether they are the same person at the threshold; null when either photo has no face.
   * `faces` says which face of each photo was compared.
   */
  async verify(a: ImageInput, b: ImageInput, options: VerifyOptions = {}): Promise<VerifyResult> {
    const [fa, fb] = [await this.embedFace(a, options.a), await this.embedFace(b, options.b)];
    const faces: VerifyResult["faces"] = [fa?.choice ?? null, fb?.choice ?? null];
    if (!fa || !fb) return { similarity: null, same: null, faces };
    const similarity = cosine(fa.face.embedding, fb.face.embedding);
    return { similarity, same: similarity >= this.threshold, faces };
  }

  /**
   * Enrolls `name` from photos: the subject of each, or the face `options.face` picks. Images with no face,
   * unreadable images, and faces the enrollment policy refuses (below the quality bar, another identity's
   * unless `force`, a repeat, unlike the other faces of this name unless `force`) are not enrolled and are
   * reported, each with its reason (enrollFromPhotos and the enrollment policy of @facetracker/pipeline).
   * Nothing already in the gallery changes when no image is enrolled.
   */
  enroll(name: string, images: ImageInput[], options: EnrollOptions = {}): Promise<EnrollReport> {
    return enrollFromPhotos(this, name, images, options);
  }

  async close(): Promise<void> {
    if (this.#ownsGallery) await this.gallery.close();
  }
}
