/**
 * Migration of a gallery of the first format (meta.json + journal.log + thumbs/, read by
 * legacy-journal-reader.ts) into its database: the live state is inserted in the caller's transaction (all
 * or nothing), then the old files are moved aside into `<dir>/migrated-journal-<time>/` (never deleted).
 */

import { mkdir, rename, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { errnoCode } from "@facetracker/infra";
import { ioError } from "./io-error.ts";
import { LEGACY_NAMES, type LegacyGallery } from "./legacy-journal-reader.ts";
import { vectorToBytes } from "./vector-bytes.ts";

/** What a migration did. */
export interface GalleryMigration {
  identities: number;
  embeddings: number;
  thumbnails: number;
  /** Thumbnails the journal mentions whose file was missing (or led outside thumbs/): not migrated. */
  missingThumbnails: number;
  /** Bytes of a torn last journal record (a crash during an append) that were skipped. */
  skippedJournalBytes: number;
  /** Where the old files were moved (undefined if they could not be). */
  movedTo?: string;
}

/**
 * Inserts the old gallery's identities and embeddings (in enrollment order) into a database whose schema
 * was just created, and records `migratedFrom` in its meta. Call inside a transaction.
 */
export function insertLegacyGallery(
  db: DatabaseSync,
  legacy: LegacyGallery,
  migratedFrom: string,
): GalleryMigration {
  const identity = db.prepare(
    "INSERT INTO identities (id, name, attributes, created_at) VALUES (?, ?, ?, ?)",
  );
  for (const i of legacy.identities) identity.run(i.id, i.name, JSON.stringify(i.attributes), i.createdAt);
  const embedding = db.prepare(
    "INSERT INTO embeddings (id, identity_id, source, created_at, vector, thumbnail) VALUES (?, ?, ?, ?, ?, ?)",
  );
  let thumbnails = 0;
  for (const e of legacy.embeddings) {
    embedding.run(
      e.id,
      e.identityId,
      e.source ?? null,
      e.createdAt,
      vectorToBytes(e.vector),
      e.thumbnail ?? null,
    );
    if (e.thumbnail) thumbnails++;
  }
  db.prepare("INSERT INTO meta (key, value) VALUES ('migrated_from', ?)").run(migratedFrom);
  return {
    identities: legacy.identities.length,
    embeddings: legacy.embeddings.length,
    thumbnails,
    missingThumbnails: legacy.missingThumbnails,
    skippedJournalBytes: legacy.skippedJournalBytes,
  };
}

/**
 * Moves the first format's files (meta.json, journal.log, thumbs/ …) that are still in `dir` into a new
 * `migrated-journal-<time>` folder; returns it, or undefined when there was nothing to move.
 */
export async function moveLegacyFilesAside(dir: string, now = new Date()): Promise<string | undefined> {
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  let aside = join(dir, `migrated-journal-${stamp}`);
  try {
    await mkdir(aside);
  } catch (error) {
    if (errnoCode(error) !== "EEXIST") throw ioError("create", aside, error);
    aside = `${aside}-${process.pid}`;
    try {
      await mkdir(aside);
    } catch (again) {
      throw ioError("create", aside, again);
    }
  }
  let moved = 0;
  for (const name of LEGACY_NAMES) {
    try {
      await rename(join(dir, name), join(aside, name));
      moved++;
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw ioError("move aside", join(dir, name), error);
    }
  }
  if (moved > 0) return aside;
  await rmdir(aside).catch(() => {});
  return undefined;
}
