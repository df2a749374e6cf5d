/**
 * @facetracker/media: video input and output over ffmpeg child processes. VideoSource decodes a file, an
 * RTSP/HTTP stream or a V4L2 camera into RGB24 frames, or JPEG images encoded by ffmpeg (reconnecting live
 * sources), CameraFeed keeps a camera's frames coming whatever happens to the source (retried for ever,
 * CameraHealth), VideoWriter encodes RGB24 frames to H.264 MP4, writeOverlayCopy makes an annotated copy of
 * a file (an ASS overlay drawn by ffmpeg), LivePublisher publishes live RGB24 frames over RTSP or shows them
 * in an ffplay window, probeVideo describes a source.
 */

export { CameraFeed, type CameraFeedOptions, DEFAULT_STALL_TIMEOUT_MS } from "./camera-feed.ts";
export {
  type CameraBackoff,
  CameraHealth,
  type CameraHealthSnapshot,
  type CameraState,
  checkCameraBackoff,
  DEFAULT_CAMERA_BACKOFF,
} from "./camera-health.ts";
export type { MediaErrorCode } from "./errors.ts";
export { MediaError } from "./errors.ts";
export type { RawVideoFormat, RtspTransport, VideoFrameEncoding } from "./ffmpeg-args.ts";
export { evenSizePadArgs, ffplayArgs, rtspPublishArgs } from "./ffmpeg-args.ts";
export type { DamagedRange, FrameLoss } from "./frame-loss.ts";
export { describeFrameLoss, isDamaged } from "./frame-loss.ts";
export { DEFAULT_JPEG_QUALITY } from "./jpeg-quality.ts";
export type { JpegReadOptions } from "./jpeg-stream-reader.ts";
export { JpegStreamError, readJpegImages } from "./jpeg-stream-reader.ts";
export {
  type LiveDestination,
  type LiveImage,
  LivePublisher,
  type LivePublisherLogger,
  type LivePublisherOptions,
} from "./live-publisher.ts";
export {
  joinOverlayParts,
  OVERLAY_COPY_PRESET,
  type OverlayCopyOptions,
  type OverlayCopyResult,
  writeOverlayCopy,
} from "./overlay-copy.ts";
export type { ProbeOptions, VideoProbe } from "./probe.ts";
export { DEFAULT_TIMEOUT_S, probeVideo } from "./probe.ts";
export type { ReconnectOptions } from "./reconnect.ts";
export { RtspAuthRelay, type RtspCredentials } from "./rtsp-auth-relay.ts";
export { ALLOWED_STREAM_SCHEMES, checkCameraSource, type SourceRoots } from "./source-policy.ts";
export type { ParsedVideoSource, SourceKind } from "./source-spec.ts";
export { isLiveSource, maskCredentials, parseVideoSource } from "./source-spec.ts";
export type {
  SourceEvent,
  VideoFrame,
  VideoOutputOptions,
  VideoSourceInfo,
  VideoSourceOptions,
} from "./video-source.ts";
export { FALLBACK_FPS, VideoSource } from "./video-source.ts";
export type { VideoWriterOptions } from "./video-writer.ts";
export { VideoWriter, X264_PRESETS } from "./video-writer.ts";
