import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** ../shared/data beside the checkout (see its README); tests that need it skip when it is absent. */
export const sharedData = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/data");

export const facesDir = path.join(sharedData, "faces");

/** The skip reason for node:test, or false when the real face data is present. */
export function skipWithoutSharedData(): string | false {
  return existsSync(path.join(facesDir, "people"))
    ? false
    : `real face data not found at ${sharedData} (../shared/data beside the checkout): real-face tests skipped`;
}
