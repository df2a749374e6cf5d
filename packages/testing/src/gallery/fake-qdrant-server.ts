/**
 * FOR TESTS ONLY: an in-memory HTTP server imitating the small part of Qdrant's REST API that QdrantGallery
 * and the face memory's QdrantMemoryVectors use (collections, payload indexes, points
 * upsert/retrieve/delete/scroll/count, set payload, facet, query, query groups; filters: match, range,
 * has_id), following Qdrant's documented request and response shapes. It lets QdrantGallery
 * run the gallery contract through the real @qdrant/js-client-rest when no Qdrant server is available.
 * It is not Qdrant: search is exact, there are no shards, no persistence, no auth. Use QDRANT_URL to test
 * against a real server.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Json = Record<string, unknown>;
type PointId = string | number;

interface Point {
  id: PointId;
  vector: number[];
  payload: Json;
}

interface Collection {
  size: number;
  distance: "Cosine" | "Dot" | "Euclid" | "Manhattan";
  points: Map<string, Point>;
  indexes: Map<string, string>;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function pointKey(id: unknown): string {
  if (typeof id === "number" && Number.isInteger(id) && id >= 0) return `n:${id}`;
  if (typeof id === "string" && UUID_RE.test(id)) return `u:${id.toLowerCase()}`;
  throw new HttpError(400, `Format error in JSON body: value ${JSON.stringify(id)} is not a valid point ID`);
}

function comparePointIds(a: Point, b: Point): number {
  // Qdrant orders integer ids before UUIDs; UUIDs by their value.
  if (typeof a.id === "number" && typeof b.id === "number") return a.id - b.id;
  if (typeof a.id === "number") return -1;
  if (typeof b.id === "number") return 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function matches(point: Point, filter: unknown): boolean {
  if (filter === undefined || filter === null) return true;
  const f = filter as { must?: unknown; must_not?: unknown; should?: unknown };
  const list = (v: unknown): Json[] =>
    (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]) as Json[];
  const condition = (c: Json): boolean => {
    if ("has_id" in c) return (c.has_id as unknown[]).some((id) => pointKey(id) === pointKey(point.id));
    if ("must" in c || "should" in c || "must_not" in c) return matches(point, c);
    const key = c.key as string;
    const range = c.range as { gt?: number; gte?: number; lt?: number; lte?: number } | undefined;
    if (range) {
      const value = point.payload[key];
      return (
        typeof value === "number" &&
        (range.gt === undefined || range.gt === null || value > range.gt) &&
        (range.gte === undefined || range.gte === null || value >= range.gte) &&
        (range.lt === undefined || range.lt === null || value < range.lt) &&
        (range.lte === undefined || range.lte === null || value <= range.lte)
      );
    }
    const match = c.match as { value?: unknown; any?: unknown[] } | undefined;
    if (!match) throw new HttpError(400, `unsupported condition ${JSON.stringify(c)}`);
    const value = point.payload[key];
    const values = Array.isArray(value) ? value : [value];
    if ("value" in match) return values.includes(match.value);
    if (Array.isArray(match.any)) return values.some((v) => (match.any as unknown[]).includes(v));
    throw new HttpError(400, `unsupported match ${JSON.stringify(match)}`);
  };
  const must = list(f.must);
  const mustNot = list(f.must_not);
  const should = list(f.should);
  return must.every(condition) && !mustNot.some(condition) && (should.length === 0 || should.some(condition));
}

function selectPayload(payload: Json, selector: unknown): Json | null {
  if (selector === undefined || selector === false || selector === null) return null;
  if (selector === true) return { ...payload };
  const pick = (keys: string[]): Json =>
    Object.fromEntries(keys.filter((k) => k in payload).map((k) => [k, payload[k]]));
  if (Array.isArray(selector)) return pick(selector as string[]);
  const s = selector as { include?: string[]; exclude?: string[] };
  if (s.include) return pick(s.include);
  if (s.exclude) {
    const out = { ...payload };
    for (const k of s.exclude) delete out[k];
    return out;
  }
  throw new HttpError(400, `unsupported with_payload ${JSON.stringify(selector)}`);
}

function record(point: Point, withPayload: unknown, withVector: unknown): Json {
  const out: Json = { id: point.id, payload: selectPayload(point.payload, withPayload) };
  if (withVector === true) out.vector = point.vector;
  return out;
}

export class FakeQdrantServer {
  readonly #server: Server;
  readonly #collections = new Map<string, Collection>();
  /** Requests served, as "METHOD /path" (for assertions). */
  readonly requests: string[] = [];
  /** While true, every request is answered 503 (a server that is away, for tests of retrying). */
  unavailable = false;
  url = "";

  private constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        this.#send(res, status, { status: { error: (error as Error).message }, time: 0 });
      });
    });
  }

  static async start(): Promise<FakeQdrantServer> {
    const fake = new FakeQdrantServer();
    await new Promise<void>((resolve) => fake.#server.listen(0, "127.0.0.1", resolve));
    const { port } = fake.#server.address() as AddressInfo;
    fake.url = `http://127.0.0.1:${port}`;
    return fake;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  collectionNames(): string[] {
    return [...this.#collections.keys()];
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    const data = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
    res.end(data);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = (text ? JSON.parse(text) : {}) as Json;
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    this.requests.push(`${method} ${url.pathname}`);
    if (this.unavailable) throw new HttpError(503, "Service Unavailable (FakeQdrantServer.unavailable)");
    const result = this.#route(method, url.pathname.split("/").filter(Boolean).map(decodeURIComponent), body);
    this.#send(res, 200, { result, status: "ok", time: 0.0001 });
  }

  #collection(name: string | undefined): Collection {
    const c = this.#collections.get(name ?? "");
    if (!c) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  }

  #route(method: string, parts: string[], body: Json): unknown {
    const [root, name, sub, action, extra] = parts;
    if (parts.length === 0 && method === "GET") return undefined; // "/" is answered specially by Qdrant; unused
    if (root !== "collections") throw new HttpError(404, `no route ${method} /${parts.join("/")}`);
    if (name === undefined && method === "GET") {
      return { collections: [...this.#collections.keys()].map((n) => ({ name: n })) };
    }
    if (sub === undefined) {
      if (method === "PUT") return this.#createCollection(name as string, body);
      if (method === "GET") return this.#collectionInfo(name as string);
      if (method === "DELETE") return this.#collections.delete(name as string);
    }
    if (sub === "exists" && method === "GET") return { exists: this.#collections.has(name as string) };
    const c = this.#collection(name);
    const done = { operation_id: 1, status: "completed" };
    if (sub === "index" && method === "PUT") {
      c.indexes.set(body.field_name as string, body.field_schema as string);
      return done;
    }
    if (sub === "facet" && method === "POST") return this.#facet(c, body);
    if (sub !== "points") throw new HttpError(404, `no route ${method} /${parts.join("/")}`);
    if (action === undefined && method === "PUT") return this.#upsert(c, body, done);
    if (action === undefined && method === "POST") {
      return (body.ids as unknown[]).flatMap((id) => {
        const p = c.points.get(pointKey(id));
        return p ? [record(p, body.with_payload ?? true, body.with_vector)] : [];
      });
    }
    if (action === "delete" && method === "POST") {
      for (const p of this.#selected(c, body)) c.points.delete(pointKey(p.id));
      return done;
    }
    if (action === "payload" && method === "POST") {
      for (const p of this.#selected(c, body)) Object.assign(p.payload, structuredClone(body.payload));
      return done;
    }
    if (action === "scroll" && method === "POST") return this.#scroll(c, body);
    if (action === "count" && method === "POST") {
      return { count: [...c.points.values()].filter((p) => matches(p, body.filter)).length };
    }
    if (action === "query" && method === "POST" && extra === undefined) {
      return { points: this.#query(c, body, body.limit as number | undefined) };
    }
    if (action === "query" && extra === "groups" && method === "POST") return this.#queryGroups(c, body);
    throw new HttpError(404, `no route ${method} /${parts.join("/")}`);
  }

  #createCollection(name: string, body: Json): boolean {
    if (this.#collections.has(name)) {
      throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
    }
    const vectors = body.vectors as { size?: number; distance?: string } | undefined;
    if (!vectors || typeof vectors.size !== "number" || typeof vectors.distance !== "string") {
      throw new HttpError(400, "this fake supports a single unnamed vector { size, distance } only");
    }
    this.#collections.set(name, {
      size: vectors.size,
      distance: vectors.distance as Collection["distance"],
      points: new Map(),
      indexes: new Map(),
    });
    return true;
  }

  #collectionInfo(name: string): Json {
    const c = this.#collection(name);
    return {
      status: "green",
      optimizer_status: "ok",
      segments_count: 1,
      points_count: c.points.size,
      config: {
        params: { vectors: { size: c.size, distance: c.distance }, shard_number: 1, replication_factor: 1 },
        hnsw_config: {},
        optimizer_config: {},
      },
      payload_schema: Object.fromEntries(
        [...c.indexes].map(([field, type]) => [field, { data_type: type, points: c.points.size }]),
      ),
    };
  }

  #upsert(c: Collection, body: Json, done: Json): Json {
    const points = body.points as { id: unknown; vector: unknown; payload?: Json }[] | undefined;
    if (!Array.isArray(points)) throw new HttpError(400, "this fake supports { points: [...] } upserts only");
    const stored: Point[] = points.map((p) => {
      pointKey(p.id);
      if (!Array.isArray(p.vector) || p.vector.length !== c.size) {
        throw new HttpError(
          400,
          `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${Array.isArray(p.vector) ? p.vector.length : "?"}`,
        );
      }
      let vector = (p.vector as number[]).map(Math.fround);
      if (c.distance === "Cosine") {
        const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
        vector = vector.map((x) => Math.fround(norm > 0 ? x / norm : x));
      }
      return { id: p.id as PointId, vector, payload: structuredClone(p.payload ?? {}) };
    });
    for (const p of stored) c.points.set(pointKey(p.id), p);
    return done;
  }

  #selected(c: Collection, body: Json): Point[] {
    if (Array.isArray(body.points)) {
      return body.points.flatMap((id) => {
        const p = c.points.get(pointKey(id));
        return p ? [p] : [];
      });
    }
    if (body.filter) return [...c.points.values()].filter((p) => matches(p, body.filter));
    throw new HttpError(400, "points or filter is required");
  }

  #scroll(c: Collection, body: Json): Json {
    const limit = (body.limit as number | undefined) ?? 10;
    const all = [...c.points.values()].filter((p) => matches(p, body.filter)).sort(comparePointIds);
    let start = 0;
    if (body.offset !== undefined && body.offset !== null) {
      const from: Point = { id: body.offset as PointId, vector: [], payload: {} };
      start = all.findIndex((p) => comparePointIds(p, from) >= 0);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + limit);
    const next = all[start + limit];
    return {
      points: page.map((p) => record(p, body.with_payload ?? true, body.with_vector)),
      next_page_offset: next ? next.id : null,
    };
  }

  #facet(c: Collection, body: Json): Json {
    const key = body.key as string;
    if (!c.indexes.has(key)) {
      throw new HttpError(
        400,
        `Bad request: Index required but not found for "${key}" of one of the following types: [keyword, integer, uuid, bool]`,
      );
    }
    const counts = new Map<unknown, number>();
    for (const p of c.points.values()) {
      if (!matches(p, body.filter)) continue;
      const v = p.payload[key];
      if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const hits = [...counts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value)))
      .slice(0, (body.limit as number | undefined) ?? 10);
    return { hits };
  }

  #score(a: number[], b: number[]): number {
    let dot = 0;
    for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
    return dot;
  }

  #scored(c: Collection, body: Json): { point: Point; score: number }[] {
    const query = body.query;
    if (!Array.isArray(query) || query.length !== c.size) {
      throw new HttpError(400, "this fake supports a plain dense vector query of the collection's size only");
    }
    let q = (query as number[]).map(Math.fround);
    if (c.distance === "Cosine") {
      const norm = Math.sqrt(q.reduce((s, x) => s + x * x, 0));
      q = q.map((x) => x / norm);
    }
    const threshold = body.score_threshold as number | undefined;
    return [...c.points.values()]
      .filter((p) => matches(p, body.filter))
      .map((point) => ({ point, score: this.#score(point.vector, q) }))
      .filter((s) => threshold === undefined || threshold === null || s.score >= threshold)
      .sort((a, b) => b.score - a.score || comparePointIds(a.point, b.point));
  }

  #query(c: Collection, body: Json, limit = 10): Json[] {
    return this.#scored(c, body)
      .slice(0, limit)
      .map(({ point, score }) => ({
        ...record(point, body.with_payload, body.with_vector),
        version: 1,
        score,
      }));
  }

  #queryGroups(c: Collection, body: Json): Json {
    const groupBy = body.group_by as string;
    const groupSize = (body.group_size as number | undefined) ?? 3;
    const limit = (body.limit as number | undefined) ?? 10;
    const groups = new Map<unknown, Json[]>();
    for (const { point, score } of this.#scored(c, body)) {
      const key = point.payload[groupBy];
      if (typeof key !== "string" && typeof key !== "number") continue;
      let hits = groups.get(key);
      if (!hits) {
        if (groups.size === limit) continue;
        hits = [];
        groups.set(key, hits);
      }
      if (hits.length < groupSize) {
        hits.push({ ...record(point, body.with_payload, body.with_vector), version: 1, score });
      }
    }
    return { groups: [...groups].map(([id, hits]) => ({ id, hits })) };
  }
}
