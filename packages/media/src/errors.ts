/** Error codes of the media package; `MediaError.source` names the file, URL (credentials masked) or path. */
export type MediaErrorCode =
  /** ffmpeg or ffprobe is not installed (or the configured path is not executable). */
  | "FFMPEG_MISSING"
  /** The file or device does not exist or cannot be read, or the server answered 404. */
  | "NOT_FOUND"
  /** The input exists but is not a media file ffmpeg can read. */
  | "NOT_VIDEO"
  /** A media file without a video stream (audio only, for instance). */
  | "NO_VIDEO_STREAM"
  /** A network source (or camera) could not be reached, timed out, or was lost for good. */
  | "UNREACHABLE"
  /** The server refused the credentials (HTTP/RTSP 401 or 403). */
  | "UNAUTHORIZED"
  /** The video could not be decoded (damaged or incomplete file). */
  | "DECODE"
  /** Writing a video failed (VideoWriter). */
  | "WRITE"
  /** An option or a frame passed to this package is invalid. */
  | "INVALID_ARGUMENT"
  /** ffmpeg or ffprobe failed in a way none of the other codes describes. */
  | "FFMPEG_FAILED";

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  /** The source or output concerned, as shown in the message (credentials masked); "" when none. */
  readonly source: string;
  constructor(code: MediaErrorCode, message: string, options?: ErrorOptions & { source?: string }) {
    super(message, options);
    this.name = "MediaError";
    this.code = code;
    this.source = options?.source ?? "";
  }
}
