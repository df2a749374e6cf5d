/**
 * Transport for an Apprise API server (caronc/apprise-api, the compose deployment's `apprise-api`
 * container). Stateless: POST `<base>/notify` with the URLs in the request — JSON
 * `{ urls, title, body, type, format }`, or multipart/form-data with the same fields and the files as
 * `attach` (several: `attach1`, `attach2`…, unique field names as apprise-api asks). With `configKey`,
 * POST `<base>/notify/<key>` instead: the server's stored configuration picks the recipients and the
 * URLs are not sent.
 */

import { checkAppriseUrls } from "./apprise-urls.ts";
import { attachmentFileNames } from "./attachment-names.ts";
import { type Notification, NotificationError, type NotificationTransport } from "./notification.ts";
import { textTail } from "./text-tail.ts";
import { describeUrls, redactSecrets, redactUrl } from "./url-redaction.ts";

/** Options of AppriseApiTransport. */
export interface AppriseApiTransportOptions {
  /** Base URL of the server, e.g. `http://apprise-api:8000`. */
  baseUrl: string;
  /** Stored configuration key: POST `/notify/<key>` (stateful) instead of the stateless `/notify`. */
  configKey?: string;
  /** Apprise notification type sent with every message (default "info"). */
  type?: "info" | "success" | "warning" | "failure";
  /** Extra request headers (e.g. Authorization for a reverse proxy). */
  headers?: Record<string, string>;
}

/** Sends notifications through an Apprise API server with fetch. */
export class AppriseApiTransport implements NotificationTransport {
  /** The URL requests are POSTed to. */
  readonly endpoint: string;
  /** False with a configKey: the stored configuration names the recipients. */
  readonly needsUrls: boolean;
  readonly #stateless: boolean;
  readonly #type: string;
  readonly #headers: Record<string, string>;

  constructor(options: AppriseApiTransportOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new Error(`apprise-api base URL is not a valid URL: ${redactUrl(String(options.baseUrl))}`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new Error(`apprise-api base URL must be http:// or https://, got ${redactUrl(options.baseUrl)}`);
    }
    if (base.username || base.password) {
      throw new Error(
        "apprise-api base URL must not carry credentials; pass an Authorization header instead",
      );
    }
    const root = base.href.replace(/\/+$/, "");
    const key = options.configKey?.trim();
    this.#stateless = !key;
    this.needsUrls = this.#stateless;
    this.endpoint = key ? `${root}/notify/${encodeURIComponent(key)}` : `${root}/notify`;
    this.#type = options.type ?? "info";
    this.#headers = { ...options.headers };
  }

  /** POSTs the notification; rejects with a NotificationError naming the HTTP status and the response tail. */
  async send(urls: string[], notification: Notification, signal: AbortSignal): Promise<void> {
    if (this.#stateless) checkAppriseUrls(urls);
    const fields: Record<string, string> = {
      title: notification.title,
      body: notification.body,
      type: this.#type,
      format: notification.format,
    };
    let body: string | FormData;
    const headers: Record<string, string> = { accept: "application/json", ...this.#headers };
    if (notification.attachments.length > 0) {
      const form = new FormData();
      if (this.#stateless) form.append("urls", urls.join(", "));
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      const names = attachmentFileNames(notification.attachments);
      const single = notification.attachments.length === 1;
      notification.attachments.forEach((attachment, i) => {
        const blob = new Blob([attachment.data as Uint8Array<ArrayBuffer>], { type: attachment.mimeType });
        form.append(single ? "attach" : `attach${i + 1}`, blob, names[i]);
      });
      body = form;
    } else {
      body = JSON.stringify(this.#stateless ? { urls, ...fields } : fields);
      headers["content-type"] = "application/json";
    }

    const target = this.#stateless ? describeUrls(urls) : "the stored configuration";
    let response: Response;
    try {
      response = await fetch(this.endpoint, { method: "POST", headers, body, signal });
    } catch (error) {
      if (signal.aborted) {
        const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
        throw new NotificationError(`apprise-api request to ${this.endpoint} stopped (${reason})`, {
          retryable: true,
          cause: error,
        });
      }
      const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new NotificationError(`cannot reach apprise-api at ${this.endpoint}: ${why}`, {
        retryable: true,
        cause: error,
      });
    }
    const text = await response.text().catch(() => "");
    // apprise-api answers 204 when none of the URLs could be loaded: nothing was sent.
    if (response.ok && response.status !== 204) return;
    const tail = textTail(redactSecrets(text, urls), 1000);
    const what =
      response.status === 204
        ? "none of the URLs could be loaded"
        : response.status === 424
          ? "one or more notifications could not be sent"
          : response.statusText;
    throw new NotificationError(
      `apprise-api answered HTTP ${response.status}${what ? ` (${what})` : ""} for ${target}${tail ? `: ${tail}` : ""}`,
      { retryable: response.status >= 500 || response.status === 424 || response.status === 429 },
    );
  }
}
