import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeImage, encodeJpeg } from "@facetracker/vision";
import { clipPath, faceAsPhoto, searchFilters } from "./face-search.ts";
import { HttpError } from "./http-helpers.ts";

const filters = (query: string) => searchFilters(new URL(`http://page/api/search?${query}`));

describe("search by face on the page: filters, face pictures as photos, clip links", () => {
  it("reads camera, since, until and limit; says which one is wrong", () => {
    assert.deepEqual(filters(""), {});
    assert.deepEqual(filters("camera=door&since=2026-11-24T10:00:00Z&until=2026-11-24T11:00:00Z&limit=5"), {
      camera: "door",
      sinceMs: Date.parse("2026-11-24T10:00:00Z"),
      untilMs: Date.parse("2026-11-24T11:00:00Z"),
      limit: 5,
    });
    const refused = (query: string, message: RegExp) =>
      assert.throws(
        () => filters(query),
        (e: unknown) => e instanceof HttpError && e.status === 400 && message.test(e.message),
      );
    refused("since=yesterday-ish", /"since" is not a date/);
    refused("since=2026-11-24T11:00:00Z&until=2026-11-24T10:00:00Z", /"until" is before "since"/);
    refused("limit=0", /"limit" must be a whole number from 1 to 1000/);
    refused("limit=1001", /"limit"/);
    refused("limit=2.5", /"limit"/);
  });

  it("sets a face picture in the middle of a grey picture three times its size", async () => {
    const face = { width: 4, height: 4, data: new Uint8Array(4 * 4 * 3).fill(250) };
    const photo = await decodeImage(await faceAsPhoto(await encodeJpeg(face, 100)));
    assert.equal(photo.width, 12);
    assert.equal(photo.height, 12);
    const at = (x: number, y: number) => photo.data[(y * 12 + x) * 3] as number;
    assert.ok(Math.abs(at(0, 0) - 128) < 12, `corner grey: ${at(0, 0)}`);
    assert.ok(at(6, 6) > 200, `centre is the face: ${at(6, 6)}`);
  });

  it("links a clip through the page's clip route, each key segment escaped", () => {
    assert.equal(clipPath("door/2026-11-24/10 15#x.mp4"), "/api/clips/door/2026-11-24/10%2015%23x.mp4");
  });
});
