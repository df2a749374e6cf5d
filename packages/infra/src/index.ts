/**
 * @facetracker/infra: the process and file-system infrastructure every package shares, each piece written
 * once: errno reading, durable atomic writes, pid lock files, pid liveness, the registry of child processes
 * killed with this process, exponential backoff, and a seeded random generator. No @facetracker dependency.
 */

export { abortableSleep, type BackoffOptions, backoffDelayMs, checkBackoff } from "./backoff.ts";
export { killTrackedChildren, trackChild } from "./child-registry.ts";
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
export { PidLock, PidLockError } from "./pid-lock.ts";
export { isProcessAlive } from "./process-alive.ts";
export { seededRandom } from "./seeded-random.ts";
