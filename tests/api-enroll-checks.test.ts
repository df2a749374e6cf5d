/**
 * Enrollment that checks itself through the gRPC api (its own process, real nats-server), on the real
 * photos of ../shared/data: Enroll reports per photo what happened (the subject taken, a photo unlike the
 * others refused with the closest photo and the similarity, face_index picking another face), and
 * EnrollFace (the web page's enrollment of a track's face) refuses a face unlike the name's enrolled faces
 * with a message offering "enroll anyway", which force overrides.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { EnrollFaceResponse, EnrollResponse, FaceTrackerApiClient } from "@facetracker/proto";
import { decodeImage, encodeJpeg, FaceAnalyzer } from "@facetracker/vision";
import { type ServiceError, status } from "@grpc/grpc-js";
import { type ApiProcess, startApiProcess } from "./helpers/api-process.ts";
import { facesDir, skipWithoutSharedData } from "./helpers/shared-data.ts";

const people = (name: string, file: string) => path.join(facesDir, "people", name, file);

describe("enrollment checks through the gRPC api (real photos)", { skip: skipWithoutSharedData() }, () => {
  let run: ApiProcess | undefined;
  let client: FaceTrackerApiClient;

  before(async () => {
    run = await startApiProcess("ft-api-enroll-");
    client = run.client;
  });
  after(async () => {
    await run?.stop();
  });

  const enroll = (request: { name: string; images: Buffer[]; force?: boolean; faceIndex?: number }) =>
    new Promise<EnrollResponse>((resolve, reject) =>
      client.enroll(
        { attributes: {}, force: false, ...request },
        (e: ServiceError | null, r: EnrollResponse) => (e ? reject(e) : resolve(r)),
      ),
    );
  const enrollFace = (request: { name: string; alignedJpeg: Buffer; force: boolean }) =>
    new Promise<EnrollFaceResponse>((resolve, reject) =>
      client.enrollFace(
        { source: "track cam #1", ...request },
        (e: ServiceError | null, r: EnrollFaceResponse) => (e ? reject(e) : resolve(r)),
      ),
    );

  it("Enroll reports each photo: the face taken, and the photo unlike the others refused with the pair and the similarity", async () => {
    const images = await Promise.all(
      [
        people("obama", "train_obama.jpg"),
        people("obama", "train_obama2.jpg"),
        people("biden", "train_biden2.jpg"),
      ].map((f) => readFile(f)),
    );
    const r = await enroll({ name: "obama", images });
    assert.equal(r.enrolled, 2);
    assert.deepEqual(
      r.photos.map((p) => [p.image, p.status, p.faceIndex, p.faceCount]),
      [
        ["image #1", "enrolled", 1, 1],
        ["image #2", "enrolled", 1, 1],
        ["image #3", "mismatch", 2, 2],
      ],
    );
    const refused = r.photos[2];
    assert.equal(refused?.chosenBy, "centre", "Biden's face, at the centre of his photo");
    assert.match(refused?.closest ?? "", /^image #[12]$/);
    assert.ok((refused?.similarity as number) < 0.36);
    assert.match(
      refused?.reason ?? "",
      /does not look like the other faces of 'obama': closest image #[12], similarity/,
    );
    assert.ok((refused?.box?.x2 as number) > (refused?.box?.x1 as number));
    assert.match(r.problems[0] ?? "", /^image #3: the face does not look like/);
    assert.ok(r.photos[0]?.embeddingId);

    // face_index picks the other person of that photo, who is not Obama either (refused: unlike his faces,
    // or, seen from below, under the quality bar).
    const other = await enroll({
      name: "obama",
      images: [images[2] as Buffer],
      faceIndex: 3 - (refused?.faceIndex as number),
    });
    assert.deepEqual([other.photos[0]?.chosenBy, other.photos[0]?.faceCount], ["index", 2]);
    assert.ok(["mismatch", "poor_quality"].includes(other.photos[0]?.status ?? ""), other.photos[0]?.reason);
  });

  it('EnrollFace refuses a face unlike the name\'s enrolled faces, offering "enroll anyway"; force takes it', async () => {
    const analyzer = await FaceAnalyzer.create({ threads: 1 });
    const [face] = await analyzer.analyze(await decodeImage(people("biden", "train_biden.jpg")), {
      embed: false,
    });
    assert.ok(face, "a face in train_biden.jpg");
    const alignedJpeg = Buffer.from(await encodeJpeg(face.aligned, 90));
    await assert.rejects(enrollFace({ name: "obama", alignedJpeg, force: false }), (e: ServiceError) => {
      assert.equal(e.code, status.FAILED_PRECONDITION);
      assert.match(
        e.details,
        /does not look like the faces enrolled for 'obama' \(closest: .+ \(already enrolled\), similarity -?0\.\d\d, below the threshold 0\.36\): check "enroll anyway"/,
      );
      return true;
    });
    const forced = await enrollFace({ name: "obama", alignedJpeg, force: true });
    assert.equal(forced.created, false);
    assert.ok(forced.embeddingId);
  });
});
