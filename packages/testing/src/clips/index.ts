/** Test helpers for code that stores clips: an in-process S3 server (s3rver). */
export { type S3TestServer, type S3TestServerOptions, startS3Server } from "./s3-server.ts";
