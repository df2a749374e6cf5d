// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${name}` in plain strings is the template syntax
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compileTemplate,
  DEFAULT_BODY_TEMPLATE,
  DEFAULT_GROUP_BODY_TEMPLATE,
  DEFAULT_GROUP_TITLE_TEMPLATE,
  DEFAULT_TITLE_TEMPLATE,
} from "./template.ts";

describe("compileTemplate", () => {
  it("substitutes the placeholders", () => {
    const t = compileTemplate("${identity} on ${camera} (${ similarity }) track ${track_id}");
    assert.deepEqual(t.placeholders, ["identity", "camera", "similarity", "track_id"]);
    assert.equal(
      t.render({ identity: "alice", camera: "door", similarity: "0.91", track_id: "7" }),
      "alice on door (0.91) track 7",
    );
  });

  it("an unknown placeholder fails at compile time, naming it, the template and the known ones", () => {
    assert.throws(
      () => compileTemplate("Seen: ${identity}\n${cmaera} at ${time}", "bodyTemplate"),
      (error: Error) => {
        assert.match(error.message, /^bodyTemplate: unknown placeholder \$\{cmaera\} on line 2/);
        assert.match(error.message, /known placeholders: \$\{time\}, \$\{camera\}, \$\{identity\}/);
        return true;
      },
    );
  });

  it("an unclosed placeholder fails at compile time", () => {
    assert.throws(
      () => compileTemplate("on ${camera", "titleTemplate"),
      /titleTemplate: unclosed placeholder "\$\{camera"/,
    );
  });

  it("drops the lines whose placeholders have no value", () => {
    const t = compileTemplate("a ${camera}\nclip: ${url}\nend");
    assert.equal(t.render({ camera: "door" }), "a door\nend");
    assert.equal(t.render({ camera: "door", url: "http://c/1" }), "a door\nclip: http://c/1\nend");
  });

  it("the defaults compile", () => {
    for (const text of [
      DEFAULT_TITLE_TEMPLATE,
      DEFAULT_BODY_TEMPLATE,
      DEFAULT_GROUP_TITLE_TEMPLATE,
      DEFAULT_GROUP_BODY_TEMPLATE,
    ]) {
      assert.ok(compileTemplate(text).placeholders.length > 0);
    }
  });
});
