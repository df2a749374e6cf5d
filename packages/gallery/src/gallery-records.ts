/**
 * The records of the embedded gallery's first format (journal.log, see legacy-journal-reader.ts) and their
 * JSON form; read only to migrate such a gallery into its database.
 *
 * Record JSON (the `rec` of a journal line):
 *   {"type":"enroll","identity":{"id","name","attributes","createdAt"},
 *    "embeddings":[{"id","vector":"<base64 of little-endian float32>","source"?,"thumbnail":bool,"createdAt"}]}
 *       upsert of the identity's full state plus new embeddings (one record per enroll: atomic)
 *   {"type":"identity","identity":{...}}        rename / attribute change (full state)
 *   {"type":"delete-identity","id"}             the identity and all its embeddings
 *   {"type":"delete-embedding","id"}
 */

import type { Attributes } from "./types.ts";
import { isUuid } from "./validation.ts";
import { vectorFromBytes, vectorToBytes } from "./vector-bytes.ts";

export interface IdentityState {
  id: string;
  name: string;
  attributes: Attributes;
  createdAt: string;
}

export interface EmbeddingEntry {
  id: string;
  vector: Float32Array;
  source?: string;
  thumbnail: boolean;
  createdAt: string;
}

export type GalleryRecord =
  | { type: "enroll"; identity: IdentityState; embeddings: EmbeddingEntry[] }
  | { type: "identity"; identity: IdentityState }
  | { type: "delete-identity"; id: string }
  | { type: "delete-embedding"; id: string };

export function vectorToBase64(vector: Float32Array): string {
  return Buffer.from(vectorToBytes(vector)).toString("base64");
}

export function vectorFromBase64(text: string, dimension: number): Float32Array {
  return vectorFromBytes(Buffer.from(text, "base64"), dimension);
}

/** The JSON form of a record (vectors as base64). */
export function recordToJson(record: GalleryRecord): unknown {
  switch (record.type) {
    case "enroll":
      return {
        type: "enroll",
        identity: record.identity,
        embeddings: record.embeddings.map((e) => ({
          id: e.id,
          vector: vectorToBase64(e.vector),
          ...(e.source === undefined ? {} : { source: e.source }),
          thumbnail: e.thumbnail,
          createdAt: e.createdAt,
        })),
      };
    case "identity":
      return { type: "identity", identity: record.identity };
    case "delete-identity":
    case "delete-embedding":
      return { type: record.type, id: record.id };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function uuidField(value: Record<string, unknown>, key: string, where: string): string {
  const v = value[key];
  if (typeof v !== "string" || !isUuid(v)) throw new Error(`${where}.${key} is not a UUID`);
  return v;
}

function stringField(value: Record<string, unknown>, key: string, where: string): string {
  const v = value[key];
  if (typeof v !== "string") throw new Error(`${where}.${key} is not a string`);
  return v;
}

function parseIdentity(value: unknown): IdentityState {
  if (!isObject(value)) throw new Error("identity is not an object");
  const attributes = value.attributes;
  if (!isObject(attributes) || !Object.values(attributes).every((v) => typeof v === "string")) {
    throw new Error("identity.attributes is not an object of strings");
  }
  return {
    id: uuidField(value, "id", "identity"),
    name: stringField(value, "name", "identity"),
    attributes: { ...(attributes as Attributes) },
    createdAt: stringField(value, "createdAt", "identity"),
  };
}

function parseEmbedding(value: unknown, index: number, dimension: number): EmbeddingEntry {
  const where = `embeddings[${index}]`;
  if (!isObject(value)) throw new Error(`${where} is not an object`);
  if (typeof value.thumbnail !== "boolean") throw new Error(`${where}.thumbnail is not a boolean`);
  const entry: EmbeddingEntry = {
    id: uuidField(value, "id", where),
    vector: vectorFromBase64(stringField(value, "vector", where), dimension),
    thumbnail: value.thumbnail,
    createdAt: stringField(value, "createdAt", where),
  };
  if (value.source !== undefined) entry.source = stringField(value, "source", where);
  return entry;
}

/** Parses and checks the shape of a record's JSON (throws an Error saying what is wrong). */
export function recordFromJson(value: unknown, dimension: number): GalleryRecord {
  if (!isObject(value)) throw new Error("record is not an object");
  switch (value.type) {
    case "enroll": {
      if (!Array.isArray(value.embeddings)) throw new Error("embeddings is not an array");
      return {
        type: "enroll",
        identity: parseIdentity(value.identity),
        embeddings: value.embeddings.map((e, i) => parseEmbedding(e, i, dimension)),
      };
    }
    case "identity":
      return { type: "identity", identity: parseIdentity(value.identity) };
    case "delete-identity":
    case "delete-embedding":
      return { type: value.type, id: uuidField(value, "id", "record") };
    default:
      throw new Error(`unknown record type ${JSON.stringify(value.type)}`);
  }
}
