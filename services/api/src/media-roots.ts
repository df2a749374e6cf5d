import { realpath } from "node:fs/promises";
import path from "node:path";
import { rootContaining } from "@facetracker/infra";

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
  const base = await rootContaining(real, roots);
  if (base !== undefined && base !== real) return { path: real };
  return { error: `${requested} is outside the media roots` };
}
