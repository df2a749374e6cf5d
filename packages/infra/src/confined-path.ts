/**
 * Paths that must stay inside a root directory once every symbolic link is followed (files served from a
 * storage directory: clips, thumbnails).
 */

import { realpath } from "node:fs/promises";
import path from "node:path";

/** A path whose real location (links followed) is outside the root it must stay in. */
export class OutsideRootError extends Error {
  override readonly name = "OutsideRootError";
  readonly code = "EOUTSIDEROOT";
  /** The root directory (as given, resolved). */
  readonly root: string;
  /** The path asked for. */
  readonly path: string;

  constructor(root: string, file: string) {
    super(`${file} leads outside ${root} (a symbolic link out of it?): refused`);
    this.root = root;
    this.path = file;
  }
}

/** Whether `real` is `base` itself or lies below it (both absolute, normalized). */
export function isPathInside(base: string, real: string): boolean {
  const rel = path.relative(base, real);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * The real path of `file` (every symbolic link followed, its own and its directories'), when it lies inside
 * the real path of `root`; throws OutsideRootError when it does not, and the fs error (ENOENT …) when
 * `file` or `root` does not exist. Open the returned path, not `file`, so a link swapped afterwards is not
 * followed either.
 */
export async function realPathInside(root: string, file: string): Promise<string> {
  const base = await realpath(root);
  const real = await realpath(path.resolve(root, file));
  if (!isPathInside(base, real)) throw new OutsideRootError(path.resolve(root), file);
  return real;
}

/**
 * The real path of the first of `roots` that `real` (an already resolved real path) lies in, or undefined
 * when it lies in none of them; roots that do not exist are skipped.
 */
export async function rootContaining(real: string, roots: readonly string[]): Promise<string | undefined> {
  for (const root of roots) {
    let base: string;
    try {
      base = await realpath(root);
    } catch {
      continue;
    }
    if (isPathInside(base, real)) return base;
  }
  return undefined;
}
