/**
 * The face memory: every confirmed track (live cameras, analysed files and clips) remembered in
 * `<db_path>/memory.sqlite` with a few embeddings, its best face, identity evidence, alert and clip, and
 * searched by face (exact, in memory, SIMD). See docs/memory.md.
 */

export {
  type Correction,
  CorrectionError,
  type CorrectionKind,
  type TrackDecision,
} from "./corrections.ts";
export {
  FaceMemory,
  type FaceMemoryOptions,
  type ListedTrack,
  MEMORY_DEFAULTS,
  type PersonTimeline,
  type VisitorFace,
  type VisitorSummary,
} from "./face-memory.ts";
export { MEMORY_FILE, MemoryError, type MemoryErrorCode } from "./memory-database.ts";
export { type IndexFilter, type IndexHit, MemoryIndex } from "./memory-index.ts";
export type { MemoryVectorPoint, MemoryVectorStore, VectorStoreFilter } from "./memory-vector-store.ts";
export { type CandidateEmbedding, chooseRepresentatives } from "./representatives.ts";
export type {
  IdentityEvidence,
  LiveTrackUpdate,
  MemoryHit,
  MemorySearchOptions,
  RememberedTrack,
  SourceKind,
  TrackSource,
  TrackToRemember,
} from "./types.ts";
export { VectorMatrix } from "./vector-matrix.ts";
export { MAX_SYNC_BACKLOG, MAX_UNSYNCED_TRACKS, type VectorSyncResult } from "./vector-sync.ts";
export { countVisits, VISIT_GAP_MS, type VisitorSighting } from "./visitor-sightings.ts";
export { chooseVisitor, DEFAULT_VISITOR_THRESHOLD, GUARD_MARGIN } from "./visitors.ts";
