/** Face pictures for tests (the sample photos and synthetic videos themselves: @facetracker/samples). */
export { writeMirroredJpeg } from "./mirrored-jpeg.ts";
