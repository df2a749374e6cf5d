/** The message handed to a transport, and the transport contract. */

/** How `Notification.body` is written; Apprise converts it for each service. */
export type NotificationFormat = "markdown" | "text";

/** A file sent along with a notification (e.g. a face thumbnail). */
export interface NotificationAttachment {
  /** File name shown to the recipient, e.g. `face-12.jpg`. */
  name: string;
  data: Uint8Array;
  /** MIME type, e.g. `image/jpeg`. */
  mimeType: string;
}

/** One message to deliver to every configured Apprise URL. */
export interface Notification {
  title: string;
  body: string;
  format: NotificationFormat;
  attachments: NotificationAttachment[];
}

/** Delivers a notification to Apprise URLs (through the `apprise` command or an apprise-api server). */
export interface NotificationTransport {
  /** False when the transport has its own recipients (apprise-api stored configuration); default true. */
  readonly needsUrls?: boolean;
  /**
   * Sends `notification` to all `urls`; resolves once Apprise reports success, rejects with a
   * NotificationError otherwise. Aborting `signal` cancels the attempt (and rejects). `onDelivered`, when
   * the transport can tell, is called as soon as the message reached every URL, before the send settles
   * (apprise still exiting): the caller marks it sent at once, so a crash meanwhile does not send it again.
   */
  send(
    urls: string[],
    notification: Notification,
    signal: AbortSignal,
    onDelivered?: () => void,
  ): Promise<void>;
  /** Optional start-up check that every URL can be used, sending nothing; rejects naming the bad ones. */
  verifyUrls?(urls: string[], signal?: AbortSignal): Promise<void>;
}

/** A failed delivery attempt. `retryable` is false when trying again cannot help (bad URL, bad request). */
export class NotificationError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "NotificationError";
    this.retryable = options.retryable;
  }
}
