/**
 * An RTSP gate for tests: a TCP listener on 127.0.0.1 in front of a real RTSP server (ffmpeg in listen
 * mode, rtsp-server-perl) that records the head (request line and headers) of every RTSP request a client
 * sends and, as MediaMTX does for a path that needs a user, answers `401 Unauthorized` to a request without
 * the expected Basic credentials and closes the connection. Everything else passes both ways unchanged
 * (request bodies, interleaved RTP frames, the server's answers).
 */

import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface RtspGate {
  readonly port: number;
  /** Every request head seen, in order. */
  readonly requests: string[];
  /** The heads answered with 401. */
  readonly refused: string[];
  close(): Promise<void>;
}

/** Starts a gate to the RTSP server on 127.0.0.1:`serverPort`; `expected` unset lets every request pass. */
export async function startRtspGate(
  serverPort: number,
  expected?: { user: string; pass: string },
): Promise<RtspGate> {
  const requests: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const wanted = expected
    ? `Basic ${Buffer.from(`${expected.user}:${expected.pass}`).toString("base64")}`
    : undefined;
  const server = createServer((client) => {
    sockets.add(client);
    /** The server is reached once a request passes (a refused client never gets there). */
    let connection: Socket | undefined;
    const end = () => {
      client.destroy();
      connection?.destroy();
    };
    client.on("error", end);
    client.on("close", end);
    const upstream = (): Socket => {
      if (connection) return connection;
      const socket = tcpConnect(serverPort, "127.0.0.1");
      connection = socket;
      sockets.add(socket);
      socket.on("error", end);
      socket.on("close", end);
      socket.pipe(client);
      return socket;
    };
    let pending = Buffer.alloc(0);
    let passing = 0;
    client.on("data", (chunk: Buffer) => {
      let data = Buffer.concat([pending, chunk]);
      while (data.length > 0) {
        if (passing > 0) {
          const n = Math.min(passing, data.length);
          upstream().write(data.subarray(0, n));
          data = data.subarray(n);
          passing -= n;
        } else if (data[0] === 0x24) {
          if (data.length < 4) break;
          passing = 4 + data.readUInt16BE(2);
        } else {
          const headEnd = data.indexOf("\r\n\r\n");
          if (headEnd < 0) break;
          const head = data.subarray(0, headEnd).toString("latin1");
          requests.push(head);
          const authorization = /^authorization:\s*(.*)$/im.exec(head)?.[1]?.trim();
          if (wanted && authorization !== wanted) {
            refused.push(head);
            const cseq = /^cseq:\s*(\d+)/im.exec(head)?.[1] ?? "0";
            client.end(
              `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="gate"\r\n\r\n`,
            );
            connection?.destroy();
            return;
          }
          const length = Number(/^content-length:\s*(\d+)\s*$/im.exec(head)?.[1] ?? 0);
          upstream().write(data.subarray(0, headEnd + 4));
          data = data.subarray(headEnd + 4);
          passing = length;
        }
      }
      pending = Buffer.from(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    requests,
    refused,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
