/**
 * Issue 17, item 8: an image that builds. No Docker engine runs here, so the image is checked without
 * building it:
 * - deploy/Dockerfile passes dockerfile-utils' validator (the checks of VS Code's Docker support: the
 *   builder's own syntax errors), and its shape is the one wanted: a build stage that installs the
 *   dependencies from the lockfile and fetches and checksum-verifies the models, a final stage that takes
 *   only the build stage's /app and runs as a non-root user;
 * - the build context (`.`, docker-compose.yml) is what .dockerignore lets through, listed with the
 *   Docker ignore rules (@balena/dockerignore): nothing of .git, .tools, node_modules, data, models/files
 *   or a .env file, everything the Dockerfile copies, and a small total (printed).
 */

import assert from "node:assert/strict";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Ignore } from "@balena/dockerignore";
import * as dockerignore from "@balena/dockerignore";
import { validate } from "dockerfile-utils";
import { parse } from "yaml";

// A CommonJS module whose module.exports is the factory: Node's `default` of the namespace (its typings
// declare an ES default export, which TypeScript reads as the namespace here).
const ignore = dockerignore.default as unknown as () => Ignore;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MB = 2 ** 20;
/** The build context must stay below this (it was ~750 MB with .tools and node_modules in it). */
const MAX_CONTEXT_BYTES = 20 * MB;

const compose = parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, { build?: { context: string; dockerfile: string } }>;
};
const build = compose.services.api?.build;
const dockerfileText = readFileSync(path.join(root, build?.dockerfile ?? "deploy/Dockerfile"), "utf8");

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function instructions(text: string): { keyword: string; args: string }[] {
  const joined = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** Files of the build context: every file under `dir` that .dockerignore lets through, with its size. */
function buildContext(dir: string): { files: Map<string, number>; patterns: string[] } {
  const patterns = readFileSync(path.join(dir, ".dockerignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  // An excluded folder is not walked: right while no pattern re-includes something (`!`) below one.
  assert.ok(!patterns.some((p) => p.startsWith("!")), "no exception patterns (the walk prunes folders)");
  const ig = ignore().add(patterns);
  const files = new Map<string, number>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (ig.ignores(rel)) continue;
      if (entry.isDirectory()) walk(rel);
      else files.set(rel, lstatSync(path.join(dir, rel)).size); // links are sent as links
    }
  };
  walk("");
  return { files, patterns };
}

describe("the FaceTracker image (deploy/Dockerfile), checked without a Docker engine", () => {
  it("is built from the repository root with deploy/Dockerfile (docker-compose.yml)", () => {
    assert.deepEqual(build, { context: ".", dockerfile: "deploy/Dockerfile" });
  });

  it("passes dockerfile-utils' validation, which reports a broken Dockerfile", () => {
    const problems = validate(dockerfileText);
    assert.deepEqual(
      problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
      [],
      "no errors or warnings",
    );
    // The validator is not silent on everything: a FROM without an image and a bad HEALTHCHECK flag.
    const broken = validate("FROM\nHEALTHCHECK --interval=abc CMD true\n");
    assert.ok(broken.length >= 2, JSON.stringify(broken.map((p) => p.message)));
  });

  it("installs dependencies from the lockfile and verified models in a build stage; the final stage takes only its /app and runs as a user", () => {
    const all = instructions(dockerfileText);
    const stages: { keyword: string; args: string }[][] = [];
    for (const i of all) {
      if (i.keyword === "FROM") stages.push([]);
      stages.at(-1)?.push(i);
    }
    assert.ok(stages.length >= 2, "a multi-stage build");
    const [buildStage = [], finalStage = []] = [stages[0], stages.at(-1)];
    const buildRuns = buildStage.filter((i) => i.keyword === "RUN").map((i) => i.args);
    assert.ok(
      buildRuns.some((r) => /pnpm install --frozen-lockfile --prod(\s|$)/.test(r)),
      "production dependencies are installed inside the build, exactly as the lockfile says",
    );
    // pnpm 10's `prune --prod` at a workspace root empties every workspace package's node_modules (and
    // aborts without a TTY, as in a build): the services could not load their dependencies.
    assert.ok(!buildRuns.some((r) => /pnpm prune/.test(r)), "no pnpm prune");
    // packages/models checks each tarball's integrity and each file's sha256 and exits 1 otherwise.
    assert.ok(
      buildRuns.some((r) => /pnpm models:install/.test(r)),
      "models fetched and verified in the build",
    );
    const finalCopies = finalStage.filter((i) => i.keyword === "COPY" || i.keyword === "ADD");
    assert.ok(finalCopies.length > 0);
    for (const copy of finalCopies)
      assert.match(copy.args, /^--from=build /, `the final stage copies only from the build: ${copy.args}`);
    const user = finalStage.filter((i) => i.keyword === "USER").at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (USER ${user})`);
  });

  it("sends a small build context: no .git, .tools, node_modules, data, models/files or .env, and every file the Dockerfile copies", () => {
    const { files } = buildContext(root);
    const total = [...files.values()].reduce((sum, size) => sum + size, 0);
    console.log(`build context: ${files.size} files, ${(total / MB).toFixed(1)} MB`);
    const forbidden =
      /^(\.git|\.tools|data|models\/files|test-artifacts|tmp|\.ci-artifacts)(\/|$)|(^|\/)node_modules(\/|$)|(^|\/)\.env(\.|$)/;
    const leaked = [...files.keys()].filter((f) => forbidden.test(f));
    assert.deepEqual(leaked.slice(0, 10), [], "nothing installed, fetched, private or produced here");
    assert.ok(total < MAX_CONTEXT_BYTES, `${(total / MB).toFixed(1)} MB < ${MAX_CONTEXT_BYTES / MB} MB`);

    // What the Dockerfile copies from the context is in it (a file, or a folder with files).
    const sources = instructions(dockerfileText)
      .filter((i) => (i.keyword === "COPY" || i.keyword === "ADD") && !i.args.startsWith("--from="))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith("--"))
          .slice(0, -1),
      );
    assert.ok(sources.length > 0);
    for (const source of sources) {
      const clean = source.replace(/^\.\//, "").replace(/\/$/, "");
      assert.ok(
        files.has(clean) || [...files.keys()].some((f) => f.startsWith(`${clean}/`)),
        `COPY ${source}: in the build context`,
      );
    }
    for (const needed of ["pnpm-lock.yaml", "models/manifest.json", "proto/facetracker/v1/api.proto"])
      assert.ok(files.has(needed), `${needed} is in the build context`);
  });

  it("ignores, by the Docker rules, what a checkout may hold beside the sources", () => {
    const { patterns } = buildContext(root);
    const ig = ignore().add(patterns);
    for (const p of [
      ".git/HEAD",
      ".tools/node/bin/node",
      "node_modules/.pnpm/x/index.js",
      "packages/vision/node_modules/sharp/package.json",
      "services/api/node_modules/@grpc/grpc-js/package.json",
      "data/gallery/gallery.sqlite",
      "models/files/fr_detect.onnx",
      "test-artifacts/run/log.txt",
      ".env",
      ".env.local",
      "facetracker.log",
      "packages/cli/src/.main.ts.swp",
    ]) {
      assert.equal(ig.ignores(p), true, `${p} stays out of the build context`);
    }
    for (const p of [
      "package.json",
      "packages/models/src/install.ts",
      "models/manifest.json",
      "deploy/Dockerfile",
    ])
      assert.equal(ig.ignores(p), false, `${p} is sent`);
  });
});
