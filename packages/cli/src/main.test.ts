import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { globalOptions } from "./common.ts";
import { commandHelp, commands, version } from "./main.ts";

describe("facetracker COMMAND --help", () => {
  it("lists every option of every command, each with its default", () => {
    for (const [name, command] of Object.entries(commands)) {
      const help = commandHelp(name);
      assert.ok(help.startsWith(`usage: ${command.usage}`), name);
      const lines = help.split("\n");
      for (const [option, spec] of Object.entries({ ...command.options, ...globalOptions })) {
        const at = lines.findIndex((l) => new RegExp(`^  (-\\w, )?--${option}\\b`).test(l));
        assert.ok(at >= 0, `${name} --help lists --${option}:\n${help}`);
        // The text follows on the same line, or on the next one for a long option.
        const text = `${lines[at]} ${lines[at + 1] ?? ""}`;
        assert.ok(text.includes(spec.help) && /\(default: [^)]+/.test(text), `${name} --${option}: ${text}`);
      }
    }
  });

  it("has a version", () => {
    assert.match(version, /^\d+\.\d+\.\d+$/);
  });
});
