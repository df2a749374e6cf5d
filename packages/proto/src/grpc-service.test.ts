import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { credentials, Server, ServerCredentials, status } from "@grpc/grpc-js";
import {
  Alert,
  CameraConfig,
  CameraList,
  type Empty,
  FaceTrackerApiClient,
  type FaceTrackerApiServer,
  FaceTrackerApiService,
  type WatchRequest,
} from "./index.ts";

function unimplemented(_call: unknown, callback: (error: { code: number; details: string }) => void): void {
  callback({ code: status.UNIMPLEMENTED, details: "not in this test" });
}

describe("FaceTrackerApi service definition (grpc-js)", () => {
  const server = new Server();
  let client: FaceTrackerApiClient;
  const cameras = new Map<string, CameraConfig>();

  before(async () => {
    const implementation: FaceTrackerApiServer = {
      enroll: unimplemented,
      enrollFace: unimplemented,
      listIdentities: unimplemented,
      renameIdentity: unimplemented,
      deleteIdentity: unimplemented,
      findFacesInFile: unimplemented,
      searchFaces: unimplemented,
      listVisitors: unimplemented,
      nameVisitor: unimplemented,
      correctTrack: unimplemented,
      undoCorrection: unimplemented,
      listCorrections: unimplemented,
      personTimeline: unimplemented,
      deleteFace: unimplemented,
      watchTracks: (call) => call.end(),
      watchAlerts: (call) => {
        const request: WatchRequest = call.request;
        for (let i = 1; i <= 3; i++) {
          call.write(Alert.fromPartial({ id: `a${i}`, camera: request.camera, seq: request.fromSeq + i }));
        }
        call.end();
      },
      addCamera: (call, callback) => {
        cameras.set(call.request.id, call.request);
        callback(null, call.request);
      },
      removeCamera: (call, callback) => {
        cameras.delete(call.request.id);
        callback(null, {});
      },
      listCameras: (_call, callback) =>
        callback(null, CameraList.fromPartial({ cameras: [...cameras.values()] })),
    };
    server.addService(FaceTrackerApiService, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    client = new FaceTrackerApiClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  after(() => {
    client?.close();
    server.forceShutdown();
  });

  it("serves unary calls with the generated messages", async () => {
    const camera = CameraConfig.fromPartial({ id: "door", url: "rtsp://cam/door", enabled: true, fps: 12.5 });
    const stored = await new Promise<CameraConfig>((resolve, reject) =>
      client.addCamera(camera, (error, response) => (error ? reject(error) : resolve(response))),
    );
    assert.deepEqual(stored, camera);
    const list = await new Promise<CameraList>((resolve, reject) =>
      client.listCameras({} satisfies Empty, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
    assert.deepEqual(
      list.cameras.map((c) => c.id),
      ["door"],
    );
  });

  it("streams server-side streaming calls", async () => {
    const received: Alert[] = [];
    for await (const alert of client.watchAlerts({ camera: "door", fromSeq: 10, includeUpdates: false }))
      received.push(alert as Alert);
    assert.deepEqual(
      received.map((a) => [a.id, a.camera, a.seq]),
      [
        ["a1", "door", 11],
        ["a2", "door", 12],
        ["a3", "door", 13],
      ],
    );
  });

  it("passes errors through with their gRPC status", async () => {
    const error = await new Promise<{ code?: number }>((resolve) =>
      client.enroll({ name: "x", attributes: {}, images: [], force: false }, (e) => resolve(e ?? {})),
    );
    assert.equal(error.code, status.UNIMPLEMENTED);
  });
});
