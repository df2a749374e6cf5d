/**
 * The layering rules, checked on the sources (read only, no process started): production code never
 * imports the test kit, no package entry point exports a test helper, the stage code (packages/pipeline)
 * sits below the library facade (never imports @facetracker/sdk), no service uses the facade, nothing below
 * the facade imports sdk, cli or runner, and only the runner imports the services.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The workspace packages: packages/* and services/*, as paths relative to the root. */
function workspacePackages(): string[] {
  return ["packages", "services"].flatMap((group) =>
    readdirSync(path.join(root, group), { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && existsSync(path.join(root, group, entry.name, "package.json")),
      )
      .map((entry) => `${group}/${entry.name}`),
  );
}

/** The .ts files below `dir` (relative to the root); node_modules and links are not followed. */
function typescriptFiles(dir: string): string[] {
  if (!existsSync(path.join(root, dir))) return [];
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : typescriptFiles(child);
    return entry.isFile() && entry.name.endsWith(".ts") ? [child] : [];
  });
}

/** The module specifiers a source imports or re-exports (static, side-effect and dynamic imports). */
function importedModules(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

/** The module specifiers an entry point re-exports from (`export … from "x"`). */
function reexportedModules(source: string): string[] {
  return [...source.matchAll(/^\s*export\s[^;]*?\sfrom\s*["']([^"']+)["']/gm)].map((m) => m[1] as string);
}

const TEST_KIT = /^@facetracker\/testing(\/|$)/;
/** A module path that names a test helper: a testing folder or file, a fake, a stand-in, test media. */
const TEST_HELPER_PATH =
  /(^|[/.-])(testing|test-[\w-]+|[\w-]+-testing|fakes?|fake-[\w-]+|stand-ins?|mocks?|stubs?)([/.]|$)/;

function readPackageJson(pkg: string): {
  exports?: Record<string, string> | string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
} {
  return JSON.parse(readFileSync(path.join(root, pkg, "package.json"), "utf8"));
}

/** Every workspace package's name, by its folder (relative to the root). */
function packageNames(): Map<string, string> {
  return new Map(
    workspacePackages().map((pkg) => [pkg, (readPackageJson(pkg) as { name: string }).name] as const),
  );
}

/**
 * The workspace packages a package's files import (by name, or by a relative path into another package's
 * folder) and the ones its package.json depends on, each as `{ where, name }` (where: a file or its
 * package.json).
 */
function packageUses(pkg: string, names: Map<string, string>): { where: string; name: string }[] {
  const uses: { where: string; name: string }[] = [];
  for (const file of typescriptFiles(pkg)) {
    for (const module of importedModules(readFileSync(path.join(root, file), "utf8"))) {
      if (module.startsWith("@facetracker/")) {
        uses.push({ where: file, name: module.split("/").slice(0, 2).join("/") });
      } else if (module.startsWith(".")) {
        const target = path.relative(root, path.resolve(root, path.dirname(file), module));
        const owner = [...names.keys()].find((p) => target === p || target.startsWith(`${p}/`));
        if (owner && owner !== pkg)
          uses.push({ where: `${file} (path ${module})`, name: names.get(owner) as string });
      }
    }
  }
  const { dependencies = {}, devDependencies = {} } = readPackageJson(pkg);
  for (const name of Object.keys({ ...dependencies, ...devDependencies })) {
    uses.push({ where: `${pkg}/package.json`, name });
  }
  return uses;
}

/** "FILE imports PACKAGE" (or "package.json depends on PACKAGE") for each use by `packages` of a package `forbidden` says is out of bounds. */
function breaches(packages: string[], forbidden: (name: string) => boolean): string[] {
  const names = packageNames();
  return packages.flatMap((pkg) =>
    packageUses(pkg, names)
      .filter((use) => forbidden(use.name))
      .map(
        (use) => `${use.where} ${use.where.endsWith("package.json") ? "depends on" : "imports"} ${use.name}`,
      ),
  );
}

function productionFiles(): string[] {
  return workspacePackages()
    .filter((pkg) => pkg !== "packages/testing")
    .flatMap((pkg) => typescriptFiles(`${pkg}/src`))
    .filter((file) => !file.endsWith(".test.ts"));
}

describe("architecture", () => {
  it("helper checks: imports, re-exports and test-helper paths are recognised", () => {
    const source = [
      'import { a } from "@facetracker/testing/bus";',
      'import type { B } from "./b.ts";',
      'import "side-effect";',
      "export {\n  c,\n  type D,\n} from './testing/index.ts';",
      'const e = await import("@facetracker/testing");',
      "// a comment naming @facetracker/testing is no import",
    ].join("\n");
    assert.deepEqual(importedModules(source).sort(), [
      "./b.ts",
      "./testing/index.ts",
      "@facetracker/testing",
      "@facetracker/testing/bus",
      "side-effect",
    ]);
    assert.deepEqual(reexportedModules(source), ["./testing/index.ts"]);
    for (const helper of [
      "./testing/index.ts",
      "./lifecycle-testing.ts",
      "./test-media.ts",
      "./fake-qdrant-server.ts",
    ]) {
      assert.match(helper, TEST_HELPER_PATH, helper);
    }
    for (const production of ["./lifecycle.ts", "./attestation.ts", "./contest.ts", "./latest-frame.ts"]) {
      assert.doesNotMatch(production, TEST_HELPER_PATH, production);
    }
  });

  it("no production file imports the test kit (@facetracker/testing)", () => {
    const files = productionFiles();
    assert.ok(files.length > 100, `only ${files.length} production files found`);
    const offenders = files.flatMap((file) =>
      importedModules(readFileSync(path.join(root, file), "utf8"))
        .filter((module) => TEST_KIT.test(module))
        .map((module) => `${file} imports ${module}`),
    );
    assert.deepEqual(offenders, [], "production code must not import the test kit");
  });

  it("no production package depends on the test kit except as a devDependency", () => {
    const offenders = workspacePackages()
      .filter((pkg) => pkg !== "packages/testing")
      .filter((pkg) => readPackageJson(pkg).dependencies?.["@facetracker/testing"] !== undefined);
    assert.deepEqual(offenders, []);
  });

  it("no package entry point exports a test helper", () => {
    const offenders: string[] = [];
    for (const pkg of workspacePackages().filter((p) => p !== "packages/testing")) {
      const { exports } = readPackageJson(pkg);
      const entries = typeof exports === "string" ? { ".": exports } : (exports ?? {});
      for (const [subpath, target] of Object.entries(entries)) {
        if (TEST_HELPER_PATH.test(subpath) || TEST_HELPER_PATH.test(target)) {
          offenders.push(`${pkg}/package.json exports ${subpath} → ${target}`);
        }
      }
      const index = `${pkg}/src/index.ts`;
      if (!existsSync(path.join(root, index))) continue;
      for (const module of reexportedModules(readFileSync(path.join(root, index), "utf8"))) {
        if (TEST_KIT.test(module) || TEST_HELPER_PATH.test(module))
          offenders.push(`${index} exports from ${module}`);
      }
    }
    assert.deepEqual(offenders, [], "test helpers belong in packages/testing");
  });

  it("packages/pipeline does not import the facade @facetracker/sdk", () => {
    const offenders = typescriptFiles("packages/pipeline").flatMap((file) =>
      importedModules(readFileSync(path.join(root, file), "utf8"))
        .filter((module) => /^@facetracker\/sdk(\/|$)/.test(module))
        .map((module) => `${file} imports ${module}`),
    );
    const { dependencies = {}, devDependencies = {} } = readPackageJson("packages/pipeline");
    if ("@facetracker/sdk" in dependencies || "@facetracker/sdk" in devDependencies) {
      offenders.push("packages/pipeline/package.json depends on @facetracker/sdk");
    }
    assert.deepEqual(
      offenders,
      [],
      "the stages sit below the facade: sdk imports pipeline, never the reverse",
    );
  });

  it("no service (services/*) imports the facade @facetracker/sdk", () => {
    const services = workspacePackages().filter((pkg) => pkg.startsWith("services/"));
    assert.ok(services.length >= 5, `only ${services.length} services found`);
    assert.deepEqual(
      breaches(services, (name) => name === "@facetracker/sdk"),
      [],
      "services sit beside the facade, on the stage code: they never use @facetracker/sdk",
    );
  });

  it("no package below the facade imports sdk, cli or runner", () => {
    const above = new Set(["packages/sdk", "packages/cli", "packages/runner"]);
    const below = workspacePackages().filter((pkg) => !above.has(pkg));
    const facade = new Set(["@facetracker/sdk", "@facetracker/cli", "@facetracker/runner"]);
    assert.deepEqual(
      breaches(below, (name) => facade.has(name)),
      [],
      "only sdk, cli, runner and the tests may import @facetracker/sdk, @facetracker/cli or @facetracker/runner",
    );
  });

  it("no package imports a service except the runner", () => {
    const names = packageNames();
    const services = new Set(
      [...names].filter(([pkg]) => pkg.startsWith("services/")).map(([, name]) => name),
    );
    assert.ok(services.has("@facetracker/service-api"), "the api service is found by its package name");
    assert.deepEqual(
      breaches(
        workspacePackages().filter((pkg) => pkg !== "packages/runner"),
        (name) => services.has(name),
      ),
      [],
      "the services are run, by the runner (or as processes), never imported by another package",
    );
  });
});
