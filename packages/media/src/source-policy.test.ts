import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "@facetracker/testing/media";
import { MediaError } from "./errors.ts";
import { checkCameraSource } from "./source-policy.ts";

let dir = "";
let cleanup = async () => {};
before(async () => {
  ({ dir, cleanup } = await tempDir());
  await mkdir(join(dir, "media", "sub"), { recursive: true });
  await mkdir(join(dir, "private"));
  await writeFile(join(dir, "media", "sub", "a.mp4"), "video");
  await writeFile(join(dir, "private", "b.mp4"), "video");
  await symlink(join(dir, "private"), join(dir, "media", "out"));
  await symlink(join(dir, "media", "sub"), join(dir, "media", "in"));
});
after(() => cleanup());

const refused = (rule: string) => (error: unknown) => {
  assert.ok(error instanceof MediaError);
  assert.equal(error.code, "INVALID_ARGUMENT");
  assert.ok(error.message.startsWith(`camera source refused (${rule})`), error.message);
  return true;
};

describe("checkCameraSource", () => {
  it("takes network streams of the allowed schemes as they are", async () => {
    const roots = { mediaRoots: [], deviceRoots: [] };
    for (const url of ["rtsp://u:p@cam/x", "RTSPS://cam:322/x", "http://cam/a.ts", "https://cam/a?token=1"]) {
      assert.equal(await checkCameraSource(` ${url} `, roots), url);
    }
    for (const url of [
      "file:/etc/passwd",
      "concat:/a|/b",
      "data:,x",
      "ftp://cam/x",
      "subfile:,,start,0,end,0,,:/x",
    ]) {
      await assert.rejects(checkCameraSource(url, roots), refused("scheme"));
    }
    await assert.rejects(checkCameraSource("rtsp://", roots), refused("url"));
    await assert.rejects(
      checkCameraSource("rtsp://cam/x\nfile '/etc/passwd'", roots),
      refused("control characters"),
    );
  });

  it("takes files by real path inside a media root only", async () => {
    const roots = { mediaRoots: [join(dir, "media")], deviceRoots: [] };
    const inside = join(dir, "media", "sub", "a.mp4");
    assert.equal(await checkCameraSource(inside, roots), inside);
    assert.equal(
      await checkCameraSource(join(dir, "media", "in", "a.mp4"), roots),
      inside,
      "stored as its real path",
    );
    await assert.rejects(
      checkCameraSource(join(dir, "media", "out", "b.mp4"), roots),
      refused("api.media_roots"),
    );
    await assert.rejects(checkCameraSource(join(dir, "private", "b.mp4"), roots), refused("api.media_roots"));
    await assert.rejects(checkCameraSource(`${dir}/media/sub/../../private/b.mp4`, roots), refused("no .."));
    await assert.rejects(checkCameraSource("media/sub/a.mp4", roots), refused("absolute path"));
    await assert.rejects(
      checkCameraSource(join(dir, "media", "nope.mp4"), roots),
      refused("api.media_roots"),
    );
    await assert.rejects(
      checkCameraSource(inside, { mediaRoots: [], deviceRoots: [] }),
      refused("api.media_roots"),
    );
  });

  it("takes devices only under a device root, and only video devices", async () => {
    await assert.rejects(
      checkCameraSource("0", { mediaRoots: [], deviceRoots: [] }),
      refused("api.device_roots"),
    );
    await assert.rejects(
      checkCameraSource("/dev/null", { mediaRoots: [], deviceRoots: ["/dev"] }),
      refused("device"),
    );
  });
});
