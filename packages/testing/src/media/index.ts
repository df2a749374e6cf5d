/** Media test kit: generated media files, temp dirs, local HTTP servers, child-process checks from /proc. */
export { flipBytes, wipeVideoPackets, writeBlankPng } from "./damaged-files.ts";
export { type LiveHttpCamera, liveHttpCamera } from "./live-http-camera.ts";
export { type RtspGate, startRtspGate } from "./rtsp-gate.ts";
export {
  childPids,
  closedPort,
  ffmpeg,
  httpServer,
  isGone,
  probeFrames,
  type TestServer,
  type TestVideoOptions,
  tempDir,
  testVideo,
} from "./test-media.ts";
