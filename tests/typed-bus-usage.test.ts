/**
 * Services talk to the bus through the typed bus only (see packages/bus/src/typed-bus.ts): no subject or
 * stream name written by hand, no lower-level publish/consume/request function, no stream set-up. Checked
 * on the sources (read only, no process started).
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The production .ts files below `dir` (relative to the root); node_modules is skipped. */
function productionFiles(dir: string): string[] {
  if (!existsSync(path.join(root, dir))) return [];
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : productionFiles(child);
    return entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [child] : [];
  });
}

const serviceFiles = () =>
  readdirSync(path.join(root, "services"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => productionFiles(`services/${entry.name}/src`));

/** The source without its comments (doc comments name subjects and streams, which is fine). */
function code(file: string): string {
  return readFileSync(path.join(root, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1");
}

/** The names a source imports from @facetracker/bus. */
function busImports(source: string): string[] {
  return [...source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*["']@facetracker\/bus["']/g)].flatMap(
    (m) =>
      (m[1] as string)
        .split(",")
        .map((name) => name.replace(/^\s*type\s+/, "").trim())
        .filter(Boolean),
  );
}

/** What the typed bus does for the services. */
const LOWER_LEVEL = new Set([
  "publishMessage",
  "consumeMessages",
  "serveRequests",
  "requestMessage",
  "replayStream",
  "consumerAckFloor",
  "ensureStream",
  "ensureStreams",
  "subject",
  "allCamerasSubject",
  "GALLERY_CHANGED_SUBJECT",
  "EMBED_SUBJECT",
  "EMBED_QUEUE",
]);

describe("services use the typed bus", () => {
  it("finds the services' sources", () => {
    assert.ok(serviceFiles().length > 10, `service sources found: ${serviceFiles().length}`);
  });

  it("no service writes a subject or stream name by hand (a literal that is one)", () => {
    const found = serviceFiles().flatMap((file) =>
      [...code(file).matchAll(/(["'`])(ft\.[\w.>*${}-]*|FT_[A-Z_]+)\1/g)].map((m) => `${file}: ${m[0]}`),
    );
    assert.deepEqual(found, []);
  });

  it("no service uses the bus's lower-level publish, consume, request or stream functions", () => {
    const found = serviceFiles().flatMap((file) =>
      busImports(code(file))
        .filter((name) => LOWER_LEVEL.has(name))
        .map((name) => `${file}: ${name}`),
    );
    assert.deepEqual(found, []);
  });
});
