/** Input validation shared by the gallery backends: every failure is a GalleryError('INVALID'). */

import type { Attributes, NewEmbedding } from "./types.ts";
import { GalleryError } from "./types.ts";
import { normalized } from "./vector-index.ts";

export const MAX_NAME_LENGTH = 200;
export const MAX_ATTRIBUTE_KEY_LENGTH = 200;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 2000;
export const DEFAULT_SEARCH_K = 5;
/** Vector dimension of a gallery when none is given (the default embedder's, EMBEDDING_DIM of vision). */
export const DEFAULT_DIMENSION = 512;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** Trims and checks an identity name: non-empty, at most 200 characters, no control characters, not a UUID. */
export function validateName(name: unknown, what = "name"): string {
  if (typeof name !== "string")
    throw new GalleryError("INVALID", `${what} must be a string, got ${typeof name}`);
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new GalleryError("INVALID", `${what} must not be empty`);
  if (trimmed.length > MAX_NAME_LENGTH) {
    throw new GalleryError(
      "INVALID",
      `${what} is ${trimmed.length} characters long, at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  if (CONTROL_RE.test(trimmed))
    throw new GalleryError("INVALID", `${what} must not contain control characters`);
  if (isUuid(trimmed)) {
    throw new GalleryError("INVALID", `${what} must not be a UUID (it would be ambiguous with identity ids)`);
  }
  return trimmed;
}

/** Checks attributes (string keys and string values) and returns a plain copy. */
export function validateAttributes(attributes: unknown): Attributes {
  if (attributes === undefined) return {};
  if (attributes === null || typeof attributes !== "object" || Array.isArray(attributes)) {
    throw new GalleryError("INVALID", "attributes must be an object of string values");
  }
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key.length === 0 || key.length > MAX_ATTRIBUTE_KEY_LENGTH) {
      throw new GalleryError(
        "INVALID",
        `attribute keys must have 1 to ${MAX_ATTRIBUTE_KEY_LENGTH} characters`,
      );
    }
    if (key === "__proto__")
      throw new GalleryError("INVALID", `"__proto__" is not allowed as an attribute key`);
    if (typeof value !== "string") {
      throw new GalleryError("INVALID", `attribute "${key}" must be a string, got ${typeof value}`);
    }
    if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      throw new GalleryError(
        "INVALID",
        `attribute "${key}" is ${value.length} characters long, at most ${MAX_ATTRIBUTE_VALUE_LENGTH} are allowed`,
      );
    }
    out[key] = value;
  }
  return out;
}

/**
 * Checks a vector (a Float32Array of `dimension` finite values, not all zero) and returns a normalised copy.
 * `what` names it in the error message (e.g. "embeddings[2].vector").
 */
export function validateVector(vector: unknown, dimension: number, what = "vector"): Float32Array {
  if (!(vector instanceof Float32Array)) {
    const got =
      vector === null ? "null" : typeof vector === "object" ? vector.constructor.name : typeof vector;
    throw new GalleryError("INVALID", `${what} must be a Float32Array, got ${got}`);
  }
  if (vector.length !== dimension) {
    throw new GalleryError(
      "INVALID",
      `${what} has dimension ${vector.length}, the gallery expects ${dimension}`,
    );
  }
  try {
    return normalized(vector);
  } catch (error) {
    throw new GalleryError("INVALID", `${what}: ${(error as Error).message}`);
  }
}

/** Checks an optional JPEG thumbnail and returns a copy of its bytes. */
export function validateThumbnail(thumbnail: unknown, what = "thumbnail"): Uint8Array | undefined {
  if (thumbnail === undefined) return undefined;
  if (!(thumbnail instanceof Uint8Array)) throw new GalleryError("INVALID", `${what} must be a Uint8Array`);
  if (thumbnail.length < 3 || thumbnail[0] !== 0xff || thumbnail[1] !== 0xd8 || thumbnail[2] !== 0xff) {
    throw new GalleryError("INVALID", `${what} is not a JPEG (it must start with the bytes FF D8 FF)`);
  }
  return Uint8Array.from(thumbnail);
}

export interface ValidEmbedding {
  vector: Float32Array;
  source?: string;
  thumbnail?: Uint8Array;
}

/** Validates the embeddings given to enroll, all before anything is written. */
export function validateEmbeddings(embeddings: unknown, dimension: number): ValidEmbedding[] {
  if (!Array.isArray(embeddings)) throw new GalleryError("INVALID", "embeddings must be an array");
  return embeddings.map((item: NewEmbedding, i) => {
    if (item === null || typeof item !== "object") {
      throw new GalleryError("INVALID", `embeddings[${i}] must be an object`);
    }
    const valid: ValidEmbedding = {
      vector: validateVector(item.vector, dimension, `embeddings[${i}].vector`),
    };
    if (item.source !== undefined) {
      if (typeof item.source !== "string") {
        throw new GalleryError("INVALID", `embeddings[${i}].source must be a string`);
      }
      valid.source = item.source;
    }
    const thumbnail = validateThumbnail(item.thumbnail, `embeddings[${i}].thumbnail`);
    if (thumbnail) valid.thumbnail = thumbnail;
    return valid;
  });
}

/** Checks negative examples (vector and optional source) and returns normalised copies. */
export function validateNegatives(
  negatives: unknown,
  dimension: number,
): { vector: Float32Array; source?: string }[] {
  if (!Array.isArray(negatives)) throw new GalleryError("INVALID", "negatives must be an array");
  return negatives.map((item: { vector?: unknown; source?: unknown }, i) => {
    if (item === null || typeof item !== "object") {
      throw new GalleryError("INVALID", `negatives[${i}] must be an object`);
    }
    const vector = validateVector(item.vector, dimension, `negatives[${i}].vector`);
    if (item.source === undefined) return { vector };
    if (typeof item.source !== "string") {
      throw new GalleryError("INVALID", `negatives[${i}].source must be a string`);
    }
    return { vector, source: item.source };
  });
}

/**
 * The negative-example rule of Gallery.search: the identities to leave out of the hits, those whose best
 * similarity to the query among their negative examples is higher than among their embeddings (an
 * identity with no embedding scored counts as -Infinity).
 */
export function vetoedIdentities(
  bestNegative: ReadonlyMap<string, number>,
  bestPositive: (identityId: string) => number | undefined,
): Set<string> {
  const vetoed = new Set<string>();
  for (const [identityId, negative] of bestNegative) {
    if (negative > (bestPositive(identityId) ?? Number.NEGATIVE_INFINITY)) vetoed.add(identityId);
  }
  return vetoed;
}

export interface ValidSearchOptions {
  k: number;
  minSimilarity: number | undefined;
  perIdentity: boolean;
}

export function validateSearchOptions(
  options: { k?: number; minSimilarity?: number; perIdentity?: boolean } | undefined,
): ValidSearchOptions {
  const k = options?.k ?? DEFAULT_SEARCH_K;
  if (!Number.isInteger(k) || k < 0) throw new GalleryError("INVALID", `k must be an integer >= 0, got ${k}`);
  const minSimilarity = options?.minSimilarity;
  if (minSimilarity !== undefined && (typeof minSimilarity !== "number" || Number.isNaN(minSimilarity))) {
    throw new GalleryError("INVALID", `minSimilarity must be a number, got ${minSimilarity}`);
  }
  return { k, minSimilarity, perIdentity: options?.perIdentity ?? true };
}

/** The dimension given, checked (an integer in 1…65536). */
export function validateDimension(dimension: unknown): number {
  if (typeof dimension !== "number" || !Number.isInteger(dimension) || dimension < 1 || dimension > 65536) {
    throw new GalleryError("INVALID", `dimension must be an integer between 1 and 65536, got ${dimension}`);
  }
  return dimension;
}

/** Merges attributes: given keys replace existing values, other keys are kept. */
export function mergeAttributes(base: Attributes, update: Attributes): Attributes {
  return { ...base, ...update };
}

export function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
