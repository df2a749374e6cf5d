/** A local HTTP server for tests: records every request and answers as the test decides. */

import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as received. `closed` resolves when its connection is gone (e.g. the client died). */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  closed: Promise<void>;
}

/** What to answer: a status and body, or "hold" to never answer. */
export type ReceiverReply = { status: number; body?: string; contentType?: string } | "hold";

/** A running receiver. */
export interface HttpReceiver {
  port: number;
  /** `http://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  requests: ReceivedRequest[];
  /** Resolves with request number `index` (0-based) once it has arrived. */
  request(index: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** Starts a receiver on a free port of 127.0.0.1; `reply` decides each answer (default 200 "ok"). */
export async function startHttpReceiver(
  reply: (request: ReceivedRequest) => ReceiverReply | Promise<ReceiverReply> = () => ({
    status: 200,
    body: "ok",
  }),
): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => req.socket.once("close", () => resolve()));
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
        closed,
      };
      requests.push(received);
      for (const wake of waiters.splice(0)) wake();
      const answer = await reply(received);
      if (answer === "hold") return;
      res.writeHead(answer.status, { "content-type": answer.contentType ?? "text/plain" });
      res.end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = "/") => `http://127.0.0.1:${port}${path}`,
    requests,
    async request(index: number) {
      while (requests.length <= index) await new Promise<void>((resolve) => waiters.push(resolve));
      return requests[index] as ReceivedRequest;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
