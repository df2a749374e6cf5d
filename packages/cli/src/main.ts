#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { ClipStorageConfigError, ClipStorageError, InvalidClipKeyError } from "@facetracker/clips";
import { ConfigError } from "@facetracker/config";
import { MemoryError } from "@facetracker/face-memory";
import { GalleryError } from "@facetracker/gallery";
import { MediaError } from "@facetracker/media";
import { ModelFileError } from "@facetracker/models";
import { ImageError } from "@facetracker/vision";
import { CliError } from "./cli-error.ts";
import { analyzeCommand, analyzeOptions, analyzeUsage } from "./commands/analyze.ts";
import { clipsCommand, clipsOptions, clipsUsage } from "./commands/clips.ts";
import { correctCommand, correctOptions, correctUsage } from "./commands/correct.ts";
import { enrollCommand, enrollOptions, enrollUsage } from "./commands/enroll.ts";
import { galleryCommand, galleryOptions, galleryUsage } from "./commands/gallery.ts";
import { logsCommand, logsOptions, logsUsage } from "./commands/logs.ts";
import { recognizeCommand, recognizeOptions, recognizeUsage } from "./commands/recognize.ts";
import { searchCommand, searchOptions, searchUsage } from "./commands/search.ts";
import { upCommand, upOptions, upUsage } from "./commands/up.ts";
import { verifyCommand, verifyOptions, verifyUsage } from "./commands/verify.ts";
import { visitorsCommand, visitorsOptions, visitorsUsage } from "./commands/visitors.ts";
import { formatOptions, globalOptions, type OptionTable } from "./common.ts";

interface Command {
  run: (args: string[]) => Promise<number>;
  usage: string;
  /** Its own options (the common ones are added). */
  options: OptionTable;
  about: string;
}

export const commands: Record<string, Command> = {
  enroll: {
    run: enrollCommand,
    usage: enrollUsage,
    options: enrollOptions,
    about: "add a person to the gallery from photos",
  },
  recognize: {
    run: recognizeCommand,
    usage: recognizeUsage,
    options: recognizeOptions,
    about: "find and name the faces in photos",
  },
  gallery: {
    run: galleryCommand,
    usage: galleryUsage,
    options: galleryOptions,
    about: "list, show, rename or delete identities",
  },
  verify: {
    run: verifyCommand,
    usage: verifyUsage,
    options: verifyOptions,
    about: "compare two faces, or measure a pair list",
  },
  analyze: {
    run: analyzeCommand,
    usage: analyzeUsage,
    options: analyzeOptions,
    about: "track and name the faces of a video file or stored clip",
  },
  search: {
    run: searchCommand,
    usage: searchUsage,
    options: searchOptions,
    about: "find the remembered tracks (cameras, videos) of the face in a photo",
  },
  visitors: {
    run: visitorsCommand,
    usage: visitorsUsage,
    options: visitorsOptions,
    about: "list, show or name the unknown people seen again and again (visitors)",
  },
  correct: {
    run: correctCommand,
    usage: correctUsage,
    options: correctOptions,
    about: 'correct a remembered track\'s name ("not this person", "this is NAME"), or undo that',
  },
  clips: {
    run: clipsCommand,
    usage: clipsUsage,
    options: clipsOptions,
    about: "list, download or delete stored alert clips",
  },
  up: {
    run: upCommand,
    usage: upUsage,
    options: upOptions,
    about: "run the whole pipeline here (NATS, all services, live alerts)",
  },
  logs: {
    run: logsCommand,
    usage: logsUsage,
    options: logsOptions,
    about: "print (or follow) the services' logs of 'facetracker up'",
  },
};

/** The version of the CLI package. */
export const version = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

const help = `facetracker ${version}: face recognition and tracking

usage: facetracker COMMAND [OPTION]... [ARG]...

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.about}`)
  .join("\n")}

common options (every command):
${formatOptions(globalOptions)}

  facetracker COMMAND --help   a command's usage and every option, with its default
  facetracker --version        the version

Relative paths, the defaults (./data/gallery, ./data) included, are relative to the current directory.
'-' as a file means standard input (or standard output for a file written).
Exit status: 0 success, 1 failure (an error, or nothing done), 2 usage error, 3 damaged video
(frames not decoded; --allow-damaged accepts it). See docs/cli.md.`;

/** `facetracker COMMAND --help`: its usage, then its options and the common ones, each with its default. */
export function commandHelp(name: string): string {
  const command = commands[name];
  if (!command) throw new Error(`no command ${name}`);
  const own = Object.keys(command.options).length ? `options:\n${formatOptions(command.options)}\n\n` : "";
  return `usage: ${command.usage}\n\n${command.about}\n\n${own}common options:\n${formatOptions(globalOptions)}`;
}

/** Runs the CLI; returns the exit code. Errors print as one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && args[0] && commands[args[0]]) {
      console.log(commandHelp(args[0]));
      return 0;
    }
    if (name) console.log(help);
    else console.error(help);
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`facetracker ${version}`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`facetracker: unknown command '${name}' (commands: ${Object.keys(commands).join(", ")})`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(commandHelp(name));
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
