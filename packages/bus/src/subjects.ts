/**
 * NATS subjects of the pipeline. Per-camera data flows on `ft.<kind>.<camera>`; embedding requests on
 * `ft.embed` (queue group `embed`); gallery changes on `ft.gallery.changed`; messages no consumer could
 * handle on `ft.dlq.<kind>`.
 */

/** Kinds of per-camera subjects, in pipeline order. */
export const CAMERA_SUBJECT_KINDS = [
  "frames",
  "detections",
  "tracks",
  "snapshots",
  "alerts",
  "alert_updates",
  "deliveries",
  "clips",
] as const;
export type CameraSubjectKind = (typeof CAMERA_SUBJECT_KINDS)[number];

export const SUBJECT_PREFIX = "ft";
/** Request subject of the embed workers. */
export const EMBED_SUBJECT = "ft.embed";
/** Queue group of the embed workers: each request goes to one of them. */
export const EMBED_QUEUE = "embed";
/** Broadcast of gallery changes (GalleryChanged). */
export const GALLERY_CHANGED_SUBJECT = "ft.gallery.changed";
/** Prefix of the dead-letter subjects. */
export const DLQ_PREFIX = "ft.dlq";

const CAMERA_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class InvalidCameraIdError extends Error {
  override name = "InvalidCameraIdError";
}

/** Returns the camera ID when valid; throws InvalidCameraIdError saying what is allowed otherwise. */
export function validateCameraId(camera: string): string {
  if (typeof camera !== "string" || !CAMERA_ID.test(camera)) {
    throw new InvalidCameraIdError(
      `invalid camera id ${JSON.stringify(camera)}: use 1 to 64 letters, digits, '_' or '-' (it becomes a NATS subject token)`,
    );
  }
  return camera;
}

function validateKind(kind: string): CameraSubjectKind {
  if (!(CAMERA_SUBJECT_KINDS as readonly string[]).includes(kind)) {
    throw new Error(
      `unknown subject kind ${JSON.stringify(kind)}: one of ${CAMERA_SUBJECT_KINDS.join(", ")}`,
    );
  }
  return kind as CameraSubjectKind;
}

/** `ft.<kind>.<camera>`, e.g. subject("frames", "door") → "ft.frames.door". */
export function subject(kind: CameraSubjectKind, camera: string): string {
  return `${SUBJECT_PREFIX}.${validateKind(kind)}.${validateCameraId(camera)}`;
}

/** `ft.<kind>.*`: the subjects of one kind for every camera. */
export function allCamerasSubject(kind: CameraSubjectKind): string {
  return `${SUBJECT_PREFIX}.${validateKind(kind)}.*`;
}

/** Splits `ft.<kind>.<camera>`; undefined for any other subject. */
export function parseCameraSubject(value: string): { kind: CameraSubjectKind; camera: string } | undefined {
  const [prefix, kind, camera, ...rest] = value.split(".");
  if (prefix !== SUBJECT_PREFIX || kind === undefined || camera === undefined || rest.length > 0)
    return undefined;
  if (!(CAMERA_SUBJECT_KINDS as readonly string[]).includes(kind) || !CAMERA_ID.test(camera))
    return undefined;
  return { kind: kind as CameraSubjectKind, camera };
}

/**
 * The dead-letter subject for messages that came from `original`: `ft.dlq.<kind>` where kind is the
 * second token of an `ft.` subject (ft.detections.cam1 → ft.dlq.detections, ft.embed → ft.dlq.embed),
 * `ft.dlq.other` for anything else.
 */
export function deadLetterSubject(original: string): string {
  const [prefix, kind] = original.split(".");
  const valid =
    prefix === SUBJECT_PREFIX && kind !== undefined && /^[A-Za-z0-9_-]+$/.test(kind) && kind !== "dlq";
  return `${DLQ_PREFIX}.${valid ? kind : "other"}`;
}
