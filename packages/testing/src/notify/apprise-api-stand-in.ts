/**
 * A stand-in for the apprise-api server (its container cannot run here): accepts POST /notify and
 * /notify/<key> the way apprise-api's StatelessNotifyView / NotifyView read them — a JSON body, or a
 * form (multipart/form-data) whose files are the attachments — and answers 400 with apprise-api's
 * messages when the request lacks what apprise-api requires.
 */

import { type HttpReceiver, type ReceivedRequest, startHttpReceiver } from "./http-receiver.ts";

/** A request as the stand-in understood it. */
export interface ParsedNotifyRequest {
  path: string;
  kind: "json" | "form";
  urls: string[] | string | undefined;
  title: unknown;
  body: unknown;
  type: unknown;
  format: unknown;
  /** Files of a form request, with their field names. */
  files: { field: string; name: string; type: string; data: Uint8Array }[];
  /** Every form field name (files included), in order. */
  fieldNames: string[];
}

const TYPES = new Set(["info", "success", "warning", "failure"]);
const FORMATS = new Set(["text", "markdown", "html"]);

async function parse(request: ReceivedRequest): Promise<ParsedNotifyRequest | string> {
  const contentType = String(request.headers["content-type"] ?? "");
  if (/^application\/json/i.test(contentType)) {
    let content: Record<string, unknown>;
    try {
      content = JSON.parse(request.body.toString("utf8"));
    } catch {
      return "Invalid JSON Payload provided";
    }
    return {
      path: request.path,
      kind: "json",
      urls: content.urls as string[] | string | undefined,
      title: content.title,
      body: content.body,
      type: content.type,
      format: content.format,
      files: [],
      fieldNames: Object.keys(content),
    };
  }
  if (/^multipart\/form-data/i.test(contentType)) {
    const form = await new Response(new Uint8Array(request.body), {
      headers: { "content-type": contentType },
    }).formData();
    const files: ParsedNotifyRequest["files"] = [];
    const text = new Map<string, string>();
    for (const [field, value] of form) {
      if (typeof value === "string") text.set(field, value);
      else
        files.push({
          field,
          name: value.name,
          type: value.type,
          data: new Uint8Array(await value.arrayBuffer()),
        });
    }
    return {
      path: request.path,
      kind: "form",
      urls: text.get("urls"),
      title: text.get("title"),
      body: text.get("body"),
      type: text.get("type"),
      format: text.get("format"),
      files,
      fieldNames: [...form.keys()],
    };
  }
  return "Bad FORM Payload provided";
}

/** A running stand-in; `parsed` holds every request it accepted. */
export interface AppriseApiStandIn {
  receiver: HttpReceiver;
  baseUrl: string;
  parsed: ParsedNotifyRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startAppriseApiStandIn(): Promise<AppriseApiStandIn> {
  const parsed: ParsedNotifyRequest[] = [];
  const receiver = await startHttpReceiver(async (request) => {
    if (request.method !== "POST" || !/^\/notify(\/[^/]+)?\/?$/.test(request.path)) {
      return { status: 404, body: "not found" };
    }
    const result = await parse(request);
    if (typeof result === "string") return { status: 400, body: result };
    const stateless = request.path.replace(/\/$/, "") === "/notify";
    const fileNames = new Set(result.files.map((f) => f.field));
    if (fileNames.size !== result.files.length) {
      // Older apprise-api reads request.FILES.items(): files sharing a field name would be lost.
      return { status: 400, body: "attachments share a form field name" };
    }
    if (
      (!result.body && result.files.length === 0) ||
      (result.type !== undefined && !TYPES.has(String(result.type)))
    ) {
      return { status: 400, body: "Payload lacks minimum requirements" };
    }
    if (result.format !== undefined && !FORMATS.has(String(result.format))) {
      return { status: 400, body: "An invalid body input format was specified" };
    }
    if (stateless && (!result.urls || result.urls.length === 0)) {
      return { status: 204, body: "" };
    }
    parsed.push(result);
    return { status: 200, body: "Notification(s) sent." };
  });
  return { receiver, baseUrl: receiver.url(""), parsed, close: () => receiver.close() };
}
