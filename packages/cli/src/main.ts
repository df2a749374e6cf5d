#!/usr/bin/env node
import { ClipStorageConfigError, ClipStorageError, InvalidClipKeyError } from "@facetracker/clips";
import { ConfigError } from "@facetracker/config";
import { MemoryError } from "@facetracker/face-memory";
import { GalleryError } from "@facetracker/gallery";
import { MediaError } from "@facetracker/media";
import { ModelFileError } from "@facetracker/models";
import { ImageError } from "@facetracker/vision";
import { CliError } from "./cli-error.ts";
import { analyzeCommand, analyzeUsage } from "./commands/analyze.ts";
import { clipsCommand, clipsUsage } from "./commands/clips.ts";
import { enrollCommand, enrollUsage } from "./commands/enroll.ts";
import { galleryCommand, galleryUsage } from "./commands/gallery.ts";
import { recognizeCommand, recognizeUsage } from "./commands/recognize.ts";
import { searchCommand, searchUsage } from "./commands/search.ts";
import { upCommand, upUsage } from "./commands/up.ts";
import { verifyCommand, verifyUsage } from "./commands/verify.ts";
import { visitorsCommand, visitorsUsage } from "./commands/visitors.ts";

const commands: Record<string, { run: (args: string[]) => Promise<number>; usage: string; about: string }> = {
  enroll: { run: enrollCommand, usage: enrollUsage, about: "add a person to the gallery from photos" },
  recognize: { run: recognizeCommand, usage: recognizeUsage, about: "find and name the faces in photos" },
  gallery: { run: galleryCommand, usage: galleryUsage, about: "list, show, rename or delete identities" },
  verify: { run: verifyCommand, usage: verifyUsage, about: "compare two faces, or measure a pair list" },
  analyze: {
    run: analyzeCommand,
    usage: analyzeUsage,
    about: "track and name the faces of a video file or stored clip",
  },
  search: {
    run: searchCommand,
    usage: searchUsage,
    about: "find the remembered tracks (cameras, videos) of the face in a photo",
  },
  visitors: {
    run: visitorsCommand,
    usage: visitorsUsage,
    about: "list, show or name the unknown people seen again and again (visitors)",
  },
  clips: { run: clipsCommand, usage: clipsUsage, about: "list, download or delete stored alert clips" },
  up: {
    run: upCommand,
    usage: upUsage,
    about: "run the whole pipeline here (NATS, all services, live alerts)",
  },
};

const help = `facetracker: face recognition and tracking

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.about}`)
  .join("\n")}

common options:
  --config FILE     YAML configuration (default $FACETRACKER_CONFIG); see docs/configuration.md
  --db DIR          embedded gallery directory (config key db_path, default ./data/gallery)
  --threshold X     cosine_similarity_threshold for this run
  -h, --help        this help, or a command's usage

usage:
${Object.values(commands)
  .map((c) => `  ${c.usage.replaceAll("\n", "\n  ")}`)
  .join("\n")}`;

/** Runs the CLI; returns the exit code. Errors print as one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`facetracker: unknown command '${name}' (commands: ${Object.keys(commands).join(", ")})`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`usage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    const known =
      error instanceof CliError ||
      error instanceof ConfigError ||
      error instanceof GalleryError ||
      error instanceof MemoryError ||
      error instanceof ModelFileError ||
      error instanceof ImageError ||
      error instanceof MediaError ||
      error instanceof ClipStorageError ||
      error instanceof ClipStorageConfigError ||
      error instanceof InvalidClipKeyError;
    console.error(
      `facetracker: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}`,
    );
    return error instanceof CliError ? error.exitCode : 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
