/** Media test kit: generated media files, temp dirs, local HTTP servers, child-process checks from /proc. */
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
