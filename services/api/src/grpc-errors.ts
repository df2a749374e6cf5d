/** gRPC errors of the API: a status code with its text, and gallery errors as the matching status. */

import { GalleryError } from "@facetracker/gallery";
import { type ServerErrorResponse, status } from "@grpc/grpc-js";

/** An error a gRPC call answers with: its code and the text the client sees. */
export const grpcError = (code: status, details: string): Partial<ServerErrorResponse> => ({
  code,
  details,
  message: details,
});

/** Whether `error` is already a gRPC error (thrown by grpcError). */
export const isGrpcError = (error: unknown): error is Partial<ServerErrorResponse> =>
  typeof (error as { code?: unknown } | undefined)?.code === "number";

/** A gallery error as its gRPC status (not found, name taken, invalid, else unavailable); others INTERNAL. */
export function galleryStatus(error: unknown): Partial<ServerErrorResponse> {
  if (error instanceof GalleryError) {
    const code =
      error.code === "NOT_FOUND"
        ? status.NOT_FOUND
        : error.code === "NAME_TAKEN"
          ? status.ALREADY_EXISTS
          : error.code === "INVALID"
            ? status.INVALID_ARGUMENT
            : status.UNAVAILABLE;
    return grpcError(code, error.message);
  }
  return grpcError(status.INTERNAL, error instanceof Error ? error.message : String(error));
}
