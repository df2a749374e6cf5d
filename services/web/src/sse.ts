/**
 * Server-sent events to one browser: named events with JSON data, a comment every 15 s so proxies keep
 * the connection open, and backpressure: a droppable event (a live frame) is skipped while the browser
 * has not taken the previous ones, so a slow connection sees fewer frames instead of older ones.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { toWireJson } from "./wire-json.ts";

const HEARTBEAT_MS = 15_000;

export class SseClient {
  readonly #res: ServerResponse;
  readonly #heartbeat: NodeJS.Timeout;
  #busy = false;
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  /** Starts the event stream on `res` (status 200, text/event-stream). */
  constructor(req: IncomingMessage, res: ServerResponse) {
    this.#res = res;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    req.socket.setNoDelay(true);
    res.write("retry: 2000\n\n");
    this.#heartbeat = setInterval(() => this.#write(": ping\n\n"), HEARTBEAT_MS);
    this.#heartbeat.unref();
    res.on("drain", () => {
      this.#busy = false;
    });
    const closed = () => this.#finish();
    req.on("close", closed);
    res.on("close", closed);
    res.on("error", closed);
  }

  /** Whether the stream has ended (browser gone or close() called). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `fn` once when the stream ends. */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  /**
   * Sends an event. A `droppable` event is not sent while earlier data is still buffered (returns false);
   * other events are always queued.
   */
  send(event: string, data: unknown, droppable = false): boolean {
    if (this.#closed || (droppable && this.#busy)) return false;
    return this.#write(`event: ${event}\ndata: ${JSON.stringify(toWireJson(data))}\n\n`);
  }

  /** Ends the stream. */
  close(): void {
    if (!this.#closed) this.#res.end();
    this.#finish();
  }

  #write(text: string): boolean {
    if (this.#closed) return false;
    if (!this.#res.write(text)) this.#busy = true;
    return true;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const fn of this.#onClose.splice(0)) fn();
  }
}
