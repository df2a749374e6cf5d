import { realpath } from "node:fs/promises";
import path from "node:path";

/**
 * Resolves a client-given path and checks that it lies inside one of the configured media roots (after
 * following symbolic links, so neither `../` nor a link escapes). Returns the real path, or an error text.
 */
export async function resolveInsideRoots(
  requested: string,
  roots: readonly string[],
): Promise<{ path: string } | { error: string }> {
  if (roots.length === 0)
    return {
      error: "reading files by path is disabled (no api.media_roots configured): upload the bytes instead",
    };
  let real: string;
  try {
    real = await realpath(path.resolve(roots[0] as string, requested));
  } catch {
    return { error: `file not found: ${requested}` };
  }
  for (const root of roots) {
    let base: string;
    try {
      base = await realpath(root);
    } catch {
      continue;
    }
    const rel = path.relative(base, real);
    if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) return { path: real };
  }
  return { error: `${requested} is outside the media roots` };
}
