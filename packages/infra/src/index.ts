/**
 * @facetracker/infra: the process and file-system infrastructure every package shares, each piece written
 * once: errno reading, durable atomic writes, durable marker files (MarkerLog), pid lock files, paths
 * confined to a root (realPathInside: links followed), pid liveness, the registry of child processes killed with this process, exponential backoff, a seeded
 * random generator, what the SQLite stores share (WAL open, transactions, statement cache, vector bytes), and
 * the one JSON style (snake_case keys). No @facetracker dependency.
 */

export { abortableSleep, type BackoffOptions, backoffDelayMs, checkBackoff } from "./backoff.ts";
export { killTrackedChildren, trackChild } from "./child-registry.ts";
export { isPathInside, OutsideRootError, realPathInside, rootContaining } from "./confined-path.ts";
export {
  type AtomicWriteOptions,
  copyFileAtomic,
  fsyncDirectory,
  fsyncFile,
  isHiddenName,
  makeDirectory,
  temporaryPathFor,
  writeFileAtomic,
} from "./durable-files.ts";
export { errnoCode, errnoReason } from "./errno.ts";
export { camelCaseKeys, snakeCaseKeys } from "./json-keys.ts";
export { MarkerLog, MarkerLogError, type MarkerLogOptions } from "./marker-log.ts";
export { dieWithParent } from "./parent-death.ts";
export { PidLock, PidLockError } from "./pid-lock.ts";
export { isProcessAlive } from "./process-alive.ts";
export { seededRandom } from "./seeded-random.ts";
export {
  float32FromBytes,
  float32ToBytes,
  inTransaction,
  openWalDatabase,
  StatementCache,
  sqliteCode,
  sqliteFailureKind,
  type WalDatabaseOptions,
} from "./sqlite-database.ts";
