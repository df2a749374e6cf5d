/** Checks of configured Apprise URLs (errors name the entry with its secrets masked). */

import { NotificationError } from "./notification.ts";
import { redactUrl } from "./url-redaction.ts";

/** Throws a non-retryable NotificationError unless `urls` is a non-empty list of `scheme://…` strings. */
export function checkAppriseUrls(urls: readonly string[]): void {
  if (!Array.isArray(urls) || urls.length === 0) {
    throw new NotificationError("no Apprise URLs configured: give at least one notification URL", {
      retryable: false,
    });
  }
  urls.forEach((url, index) => {
    if (typeof url !== "string" || !/^[a-z][a-z0-9+.-]*:\/\/\S/i.test(url.trim())) {
      const shown = typeof url === "string" ? redactUrl(url) : typeof url;
      throw new NotificationError(`Apprise URL #${index + 1} is not of the form scheme://…: ${shown}`, {
        retryable: false,
      });
    }
  });
}
