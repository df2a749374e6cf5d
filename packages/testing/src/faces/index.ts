/** Face pictures for tests (the sample photos and synthetic videos themselves: @facetracker/samples). */

export { hugePng } from "./huge-png.ts";
export { writeMirroredJpeg } from "./mirrored-jpeg.ts";
