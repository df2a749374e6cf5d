/**
 * @facetracker/testing: the test kit. Only tests and benchmarks import it (never production code). Each area
 * has its own entry point, so a test loads only the stand-ins it uses:
 *
 *   @facetracker/testing               waitFor (poll until a condition holds)
 *   @facetracker/testing/bus           startNatsServer (a nats-server child on a free port)
 *   @facetracker/testing/clips         startS3Server (in-process s3rver)
 *   @facetracker/testing/faces         writeMirroredJpeg (enrollment pictures)
 *   @facetracker/testing/gallery       runGalleryContract, FakeQdrantServer, random unit vectors
 *   @facetracker/testing/media         generated media files, temp dirs, local servers, child-process checks
 *   @facetracker/testing/notify        Apprise API stand-in, HTTP receiver, SMTP server, MIME parsing
 *   @facetracker/testing/service-kit   runServiceChild (a service in a real child process)
 *   @facetracker/testing/tracking      seeded synthetic face detections
 *
 * Sample photos and synthetic videos are production code (the demo uses them): @facetracker/samples.
 */

export { waitFor } from "./wait-for.ts";
