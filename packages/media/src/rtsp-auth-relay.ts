/**
 * Keeps the RTSP publisher's credentials off ffmpeg's command line, which any local user can read (`ps`,
 * /proc/PID/cmdline). ffmpeg has no way to take an output URL's user and password other than in the URL,
 * so it publishes to this relay instead: a listener on 127.0.0.1 (a free port) that takes one
 * connection, opens one to the real server (rtsp://, or TLS for rtsps://) and passes every byte both
 * ways, except that each RTSP request from ffmpeg gets `Authorization: Basic <user:password>` (MediaMTX's
 * rtspAuthMethods: [basic]) and its URL written back to the server's address. RTP must travel inside the
 * connection (rtsp_transport tcp: interleaved `$` frames, passed untouched); over UDP it would go to the
 * relay's address.
 *
 * One relay serves one ffmpeg run: it stops listening once the first connection came, and closing it
 * ends both connections.
 */

import { createServer, isIP, type Server, type Socket, connect as tcpConnect } from "node:net";
import { Transform, type TransformCallback } from "node:stream";
import { connect as tlsConnect } from "node:tls";

/** The user and password an RTSP publisher authenticates with. */
export interface RtspCredentials {
  user: string;
  pass: string;
}

/** An RTSP request head (request line and headers) longer than this is refused: not RTSP. */
const MAX_HEAD_BYTES = 64 * 1024;
const DEFAULT_PORTS: Record<string, number> = { "rtsp:": 554, "rtsps:": 322 };

/**
 * Rewrites the client's side of an RTSP connection: request heads get the Authorization header and the
 * server's address; request bodies (SDP) and interleaved RTP/RTCP frames pass unchanged.
 */
class RequestRewriter extends Transform {
  readonly #rewrite: (head: string) => string;
  #pending: Buffer = Buffer.alloc(0);
  /** Bytes still to pass unchanged: the rest of a request body or of an interleaved frame. */
  #passing = 0;

  constructor(rewrite: (head: string) => string) {
    super();
    this.#rewrite = rewrite;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#passing > 0) {
        const n = Math.min(this.#passing, data.length);
        this.push(data.subarray(0, n));
        data = data.subarray(n);
        this.#passing -= n;
      } else if (data[0] === 0x24) {
        // '$', channel, 16-bit length: an interleaved RTP or RTCP packet.
        if (data.length < 4) break;
        this.#passing = 4 + data.readUInt16BE(2);
      } else {
        const end = data.indexOf("\r\n\r\n");
        if (end < 0) {
          if (data.length > MAX_HEAD_BYTES) {
            done(new Error("not an RTSP request: no end of headers"));
            return;
          }
          break;
        }
        const head = data.subarray(0, end).toString("latin1");
        this.push(Buffer.from(`${this.#rewrite(head)}\r\n\r\n`, "latin1"));
        data = data.subarray(end + 4);
        this.#passing = Number(/^content-length:\s*(\d+)\s*$/im.exec(head)?.[1] ?? 0);
      }
    }
    this.#pending = Buffer.from(data);
    done();
  }
}

/** A local RTSP address for one ffmpeg publisher, relayed to `target` with credentials added. */
export class RtspAuthRelay {
  /** The URL to give ffmpeg: `rtsp://127.0.0.1:<port>` + the target's path and query. */
  readonly url: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #closed = false;
  #refused = "";

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** Listens on 127.0.0.1 (a free port) for the publisher of `target` (rtsp:// or rtsps://). */
  static async open(target: string, credentials: RtspCredentials): Promise<RtspAuthRelay> {
    const parsed = new URL(target);
    const secure = parsed.protocol === "rtsps:";
    if (!secure && parsed.protocol !== "rtsp:") throw new Error("the relay publishes to rtsp:// or rtsps://");
    const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(parsed.port || DEFAULT_PORTS[parsed.protocol]);
    const upstreamOrigin = `${parsed.protocol}//${parsed.host}`;
    const authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.pass}`).toString("base64")}`;
    let localOrigin = "";
    const rewrite = (head: string): string => {
      const [requestLine = "", ...headers] = head.split("\r\n");
      const [method, uri = "", ...version] = requestLine.split(" ");
      const address = uri.startsWith(localOrigin) ? upstreamOrigin + uri.slice(localOrigin.length) : uri;
      return [
        [method, address, ...version].join(" "),
        ...headers.filter((h) => !/^authorization\s*:/i.test(h)),
        `Authorization: ${authorization}`,
      ].join("\r\n");
    };

    let relay: RtspAuthRelay | undefined;
    const server = createServer({ pauseOnConnect: true }, (client) => {
      if (!relay || relay.#closed || relay.#sockets.size > 0) {
        client.destroy();
        return;
      }
      server.close(); // one publisher: nobody else may use these credentials
      const upstream = secure
        ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }) })
        : tcpConnect({ host, port });
      relay.#sockets.add(client);
      relay.#sockets.add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on("error", end);
        socket.on("close", end);
      }
      const rewriter = new RequestRewriter(rewrite);
      rewriter.on("error", end);
      client.pipe(rewriter).pipe(upstream);
      upstream.pipe(client);
      // ffmpeg says only "Invalid data found" of a refusal: the relay notes the server's answer.
      upstream.on("data", (chunk: Buffer) => {
        const refusal = /RTSP\/1\.0 (40[13] [^\r\n]*)/.exec(chunk.toString("latin1"));
        if (refusal?.[1] && relay) relay.#refused = refusal[1];
      });
      client.resume();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port: localPort } = server.address() as { port: number };
    localOrigin = `rtsp://127.0.0.1:${localPort}`;
    relay = new RtspAuthRelay(server, `${localOrigin}${parsed.pathname}${parsed.search}`);
    return relay;
  }

  /** The server's answer when it refused the credentials (`401 Unauthorized`, `403 Forbidden`), else "". */
  get refused(): string {
    return this.#refused;
  }

  /** Stops listening and ends both connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
