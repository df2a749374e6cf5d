/**
 * Bounded resources of the api (issue 13): the api as its own process on a real nats-server, hit by ten
 * concurrent Enroll calls with a 16000×16000 PNG (a decompression bomb of a few hundred KB) and then by
 * ten concurrent Enroll calls with a 49 MP PNG (just under the pixel limit). The too-large ones are
 * refused from their header (INVALID_ARGUMENT), the heavy ones beyond api.max_concurrent_heavy_calls with
 * RESOURCE_EXHAUSTED, and the api's peak resident memory (VmHWM) stays far below what decoding them all
 * would take. The peak is printed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { FaceTrackerApiClient } from "@facetracker/proto";
import { hugePng } from "@facetracker/testing/faces";
import { type ServiceError, status } from "@grpc/grpc-js";
import { type ApiProcess, startApiProcess } from "./helpers/api-process.ts";

const MB = 2 ** 20;

/** VmRSS and VmHWM (the peak) of a process, bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1]) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

describe("api resource limits (api process, real nats-server)", () => {
  let run: ApiProcess | undefined;
  let client: FaceTrackerApiClient;

  before(async () => {
    run = await startApiProcess("ft-api-limits-");
    client = run.client;
  });
  after(async () => {
    await run?.stop();
  });

  /** Ten Enroll calls with `image` at once: the status code of each (0 = OK) and its text. */
  const tenEnrolls = (image: Buffer) =>
    Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          new Promise<{ code: number; details: string }>((resolve) =>
            client.enroll(
              { name: `person ${i}`, attributes: {}, images: [image], force: false },
              (e: ServiceError | null) => resolve({ code: e?.code ?? status.OK, details: e?.details ?? "" }),
            ),
          ),
      ),
    );

  it("refuses ten concurrent 16000×16000 uploads from their header, then caps heavy calls; memory stays bounded", async () => {
    const pid = (run as ApiProcess).api.pid;
    const start = memoryOf(pid);
    const bomb = await hugePng(16000, 16000);
    const tooLarge = await tenEnrolls(bomb);
    for (const r of tooLarge) {
      assert.equal(r.code, status.INVALID_ARGUMENT, r.details);
      assert.equal(
        r.details,
        "image #1: image is 16000×16000 = 256 MP, above the limit of 50 MP (config key limits.max_image_pixels)",
      );
    }
    const afterBombs = memoryOf(pid);

    // 7000×7000 = 49 MP: under the limit, decoded and analyzed; two at a time (the default), the rest refused.
    const heavy = await tenEnrolls(await hugePng(7000, 7000));
    const codes = heavy.map((r) => r.code);
    for (const r of heavy) {
      assert.ok(
        r.code === status.OK || r.code === status.RESOURCE_EXHAUSTED,
        `OK or RESOURCE_EXHAUSTED, got ${status[r.code]}: ${r.details}`,
      );
      if (r.code === status.RESOURCE_EXHAUSTED) {
        assert.match(
          r.details,
          /^Enroll: 2 heavy calls .* the limit is 2 \(config key api\.max_concurrent_heavy_calls\)/,
        );
      }
    }
    assert.ok(codes.includes(status.OK), "the first calls get a slot");
    assert.ok(codes.includes(status.RESOURCE_EXHAUSTED), "ten calls at once exceed a limit of 2");
    const end = memoryOf(pid);
    console.log(
      `api rss: ${Math.round(start.rss / MB)} MB at start, peak ${Math.round(afterBombs.peak / MB)} MB after ten 256 MP bombs, ` +
        `peak ${Math.round(end.peak / MB)} MB after ten 49 MP calls (${codes.filter((c) => c === status.OK).length} ran, ` +
        `${codes.filter((c) => c === status.RESOURCE_EXHAUSTED).length} RESOURCE_EXHAUSTED)`,
    );
    // Decoding one bomb alone takes 768 MB of RGB pixels; refused from the header they cost next to nothing.
    assert.ok(
      afterBombs.peak - start.rss < 256 * MB,
      `ten bombs grew the api's peak by ${(afterBombs.peak - start.rss) / MB} MB`,
    );
    // Ten 49 MP decodes at once would take over 1.4 GB of RGB pixels alone; two at a time stay well below.
    assert.ok(
      end.peak - start.rss < 1024 * MB,
      `ten 49 MP calls grew the api's peak by ${(end.peak - start.rss) / MB} MB`,
    );
  });
});
