import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectHostOf, hostPort, listenHostOf } from "./listen-hosts.ts";
import { ConfigError, configFromEnv, loadConfig, parseConfig } from "./load-config.ts";

const problems = (input: unknown): string[] => {
  try {
    parseConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
};

describe("parseConfig", () => {
  it("fills every default from an empty document", () => {
    const c = parseConfig({});
    assert.equal(c.db_path, "./data/gallery");
    assert.equal(c.gallery.backend, "embedded");
    assert.equal(c.cosine_similarity_threshold, 0.36);
    assert.equal(c.detection.score_threshold, 0.7);
    assert.equal(c.face_filters.enable_small_face_filter, false);
    assert.equal(c.runtime.provider, "cpu");
  });

  it("names an unknown key with its full path", () => {
    assert.deepEqual(problems({ face_filters: { min_face_sise: 30 } }), [
      "unknown key 'face_filters.min_face_sise'",
    ]);
    assert.deepEqual(problems({ dbpath: "x" }), ["unknown key 'dbpath'"]);
  });

  it("lists the allowed values of an enumeration", () => {
    assert.deepEqual(problems({ gallery: { backend: "mongo" } }), [
      'gallery.backend: must be one of "embedded", "qdrant"',
    ]);
  });

  it("names the key and the wrong value of a type error", () => {
    assert.deepEqual(problems({ cosine_similarity_threshold: "high" }), [
      'cosine_similarity_threshold: expected number, got "high"',
    ]);
  });

  it("validates cameras: id form, unique ids, url", () => {
    const ok = parseConfig({
      cameras: [
        { id: "lobby-1", url: "rtsp://cam/1" },
        { id: "door", url: 0, fps: 10 },
      ],
    });
    assert.equal(ok.cameras[0]?.loop, false);
    assert.deepEqual(problems({ cameras: [{ id: "lobby 1", url: "x" }] }), [
      "cameras.0.id: camera id: 1–64 letters, digits, '_' or '-'",
    ]);
    assert.deepEqual(
      problems({
        cameras: [
          { id: "a", url: "x" },
          { id: "a", url: "y" },
        ],
      }),
      ["cameras: camera ids must be unique"],
    );
    assert.deepEqual(problems({ alerts: { alert_mode: "SOMETIMES" } }), [
      'alerts.alert_mode: must be one of "NONE", "ON_UNKNOWNS", "ON_KNOWNS", "ON_ALL"',
    ]);
  });

  it("limits.max_image_pixels: 50 MP by default, a positive whole number", () => {
    assert.equal(parseConfig({}).limits.max_image_pixels, 50_000_000);
    assert.equal(parseConfig({ limits: { max_image_pixels: 1_000_000 } }).limits.max_image_pixels, 1_000_000);
    assert.deepEqual(problems({ limits: { max_image_pixels: 0 } }), [
      "limits.max_image_pixels: max_image_pixels must be at least 1",
    ]);
    assert.deepEqual(problems({ limits: { max_image_pixels: 2.5 } }), [
      "limits.max_image_pixels: expected int, got 2.5",
    ]);
  });

  it("memory: 30 days, 100000 tracks, 3 embeddings per track by default; ranges with errors that name the key", () => {
    assert.deepEqual(parseConfig({}).memory, {
      retention_days: 30,
      max_tracks: 100_000,
      embeddings_per_track: 3,
      visitor_threshold: 0.4,
    });
    assert.deepEqual(
      parseConfig({ memory: { retention_days: 0, max_tracks: 10, embeddings_per_track: 5 } }).memory,
      {
        retention_days: 0,
        max_tracks: 10,
        embeddings_per_track: 5,
        visitor_threshold: 0.4,
      },
    );
    assert.deepEqual(problems({ memory: { retention_days: -1, max_tracks: 0, embeddings_per_track: 1.5 } }), [
      "memory.retention_days: retention_days must be ≥ 0 (0 = no age limit)",
      "memory.max_tracks: max_tracks must be at least 1",
      "memory.embeddings_per_track: expected int, got 1.5",
    ]);
    assert.deepEqual(
      problems({ memory: { retention_days: "long", max_tracks: 1_000_000, embeddings_per_track: 17 } }),
      [
        'memory.retention_days: expected number, got "long"',
        "memory.max_tracks: max_tracks must be at most 500000 (every kept embedding is searched in memory, exactly)",
        "memory.embeddings_per_track: embeddings_per_track must be at most 16",
      ],
    );
    assert.deepEqual(problems({ memory: { keep_days: 3 } }), ["unknown key 'memory.keep_days'"]);
  });

  it("web.public_url: unset by default, an http(s) URL", () => {
    assert.equal(parseConfig({}).web.public_url, undefined);
    assert.equal(
      parseConfig({ web: { public_url: "https://faces.example.org/" } }).web.public_url,
      "https://faces.example.org/",
    );
    assert.deepEqual(problems({ web: { public_url: "ftp://faces.example.org/" } }), [
      'web.public_url: web.public_url must be an http:// or https:// URL, e.g. https://faces.example.org/, got "ftp://faces.example.org/"',
    ]);
  });

  it("api.max_concurrent_heavy_calls: 2 by default, 1 to 64", () => {
    assert.equal(parseConfig({}).api.max_concurrent_heavy_calls, 2);
    assert.equal(parseConfig({ api: { max_concurrent_heavy_calls: 8 } }).api.max_concurrent_heavy_calls, 8);
    assert.deepEqual(problems({ api: { max_concurrent_heavy_calls: 0 } }), [
      "api.max_concurrent_heavy_calls: max_concurrent_heavy_calls must be at least 1",
    ]);
    assert.deepEqual(problems({ api: { max_concurrent_heavy_calls: 65 } }), [
      "api.max_concurrent_heavy_calls: max_concurrent_heavy_calls must be at most 64",
    ]);
  });

  it("listen_host, api.listen, web.listen, metrics.listen: loopback by default, IP addresses only", () => {
    const config = parseConfig({});
    assert.equal(config.listen_host, "127.0.0.1");
    for (const listener of ["api", "web", "metrics"] as const) {
      assert.equal(listenHostOf(config, listener), "127.0.0.1", listener);
    }
    const open = parseConfig({
      listen_host: "0.0.0.0",
      web: { listen: "::" },
      metrics: { listen: "10.0.0.5" },
    });
    assert.equal(listenHostOf(open, "api"), "0.0.0.0");
    assert.equal(listenHostOf(open, "web"), "::");
    assert.equal(listenHostOf(open, "metrics"), "10.0.0.5");
    assert.deepEqual(problems({ listen_host: "localhost", api: { listen: "0.0.0.0:50051" } }), [
      'listen_host: listen_host must be an IP address to listen on (127.0.0.1 = this machine only, 0.0.0.0 = every IPv4 interface, :: = every interface), got "localhost"',
      'api.listen: api.listen must be an IP address to listen on (127.0.0.1 = this machine only, 0.0.0.0 = every IPv4 interface, :: = every interface), got "0.0.0.0:50051"',
    ]);
    assert.equal(connectHostOf("0.0.0.0"), "127.0.0.1");
    assert.equal(connectHostOf("::"), "::1");
    assert.equal(hostPort("::1", 50051), "[::1]:50051");
  });

  it("alerts.notification_state_path: ./data/notify-state by default, a non-empty path", () => {
    assert.equal(parseConfig({}).alerts.notification_state_path, "./data/notify-state");
    assert.deepEqual(problems({ alerts: { notification_state_path: "" } }), [
      "alerts.notification_state_path: notification_state_path must name a directory",
    ]);
  });

  it("ingest and camera_offline_alert_s: defaults, ranges and errors that name the key", () => {
    const c = parseConfig({});
    assert.deepEqual(c.ingest, {
      reconnect_initial_s: 1,
      reconnect_max_s: 30,
      stall_timeout_s: 10,
      outage_buffer_s: 10,
    });
    assert.equal(c.alerts.camera_offline_alert_s, 0);
    const set = parseConfig({
      alerts: { camera_offline_alert_s: 120 },
      cameras: [{ id: "door", url: "rtsp://cam/1", camera_offline_alert_s: 0 }],
    });
    assert.equal(set.alerts.camera_offline_alert_s, 120);
    assert.equal(set.cameras[0]?.camera_offline_alert_s, 0);
    assert.deepEqual(problems({ ingest: { reconnect_initial_s: 5, reconnect_max_s: 2 } }), [
      "ingest.reconnect_max_s: reconnect_max_s must be ≥ reconnect_initial_s",
    ]);
    assert.deepEqual(problems({ ingest: { stall_timeout_s: 0 } }), [
      "ingest.stall_timeout_s: stall_timeout_s must be > 0",
    ]);
    assert.deepEqual(problems({ ingest: { outage_buffer_s: 600 } }), [
      "ingest.outage_buffer_s: outage_buffer_s must be ≤ 120 (frames older than that are of no use to tracking)",
    ]);
    assert.deepEqual(problems({ cameras: [{ id: "a", url: "x", camera_offline_alert_s: -1 }] }), [
      "cameras.0.camera_offline_alert_s: camera_offline_alert_s must be ≥ 0 (0 = no offline notification)",
    ]);
  });

  it("reports out-of-range numbers and every problem at once", () => {
    const p = problems({
      detection: { score_threshold: 1.5 },
      face_filters: { min_face_size: -1 },
      qdrant: { url: "nope" },
    });
    assert.equal(p.length, 3);
    assert.ok(p.some((l) => l.startsWith("detection.score_threshold: score_threshold must be ≤ 1")));
    assert.ok(p.some((l) => l.startsWith("face_filters.min_face_size:")));
    assert.ok(p.some((l) => l.startsWith("qdrant.url:")));
  });
});

describe("loadConfig", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("layers defaults < YAML < environment < overrides", async () => {
    const file = path.join(dir, "site.yaml");
    await writeFile(
      file,
      "db_path: /srv/gallery\ncosine_similarity_threshold: 0.4\ndetection:\n  score_threshold: 0.8\n",
    );
    const c = loadConfig({
      file,
      env: { FACETRACKER_COSINE_SIMILARITY_THRESHOLD: "0.45", FACETRACKER_DETECTION__NMS_THRESHOLD: "0.3" },
      overrides: { db_path: "/tmp/override" },
    });
    assert.equal(c.db_path, "/tmp/override");
    assert.equal(c.cosine_similarity_threshold, 0.45);
    assert.equal(c.detection.score_threshold, 0.8);
    assert.equal(c.detection.nms_threshold, 0.3);
  });

  it("reads FACETRACKER_CONFIG when no file is given", async () => {
    const file = path.join(dir, "env.yaml");
    await writeFile(file, "gallery:\n  backend: qdrant\nqdrant:\n  url: http://10.0.0.5:6333\n");
    const c = loadConfig({ env: { FACETRACKER_CONFIG: file } });
    assert.equal(c.gallery.backend, "qdrant");
    assert.equal(c.qdrant.url, "http://10.0.0.5:6333");
  });

  it("reads partitions.lease_ttl_s (3 s at least) and leaves FACETRACKER_INSTANCE to the services", () => {
    assert.equal(loadConfig({ env: {} }).partitions.lease_ttl_s, 7);
    const c = loadConfig({
      env: { FACETRACKER_INSTANCE: "box-1", FACETRACKER_PARTITIONS__LEASE_TTL_S: "5" },
    });
    assert.equal(c.partitions.lease_ttl_s, 5);
    assert.throws(
      () => loadConfig({ env: { FACETRACKER_PARTITIONS__LEASE_TTL_S: "2" } }),
      /lease_ttl_s must be ≥ 3/,
    );
  });

  it("names a missing file, bad YAML with its line, and a non-mapping document", async () => {
    assert.throws(
      () => loadConfig({ file: path.join(dir, "none.yaml"), env: {} }),
      /none\.yaml\): file not found/,
    );
    const bad = path.join(dir, "bad.yaml");
    await writeFile(bad, "db_path: x\ndetection: [1, 2\n");
    assert.throws(() => loadConfig({ file: bad, env: {} }), /bad\.yaml\): not valid YAML at line \d/);
    const list = path.join(dir, "list.yaml");
    await writeFile(list, "- a\n- b\n");
    assert.throws(() => loadConfig({ file: list, env: {} }), /top level must be a mapping/);
  });

  it("names the source of an invalid value", async () => {
    assert.throws(
      () => loadConfig({ env: { FACETRACKER_RUNTIME__PROVIDER: "tpu" } }),
      /invalid configuration \(environment\): runtime.provider: must be one of "cpu", "cuda"/,
    );
  });
});

describe("configFromEnv", () => {
  it("maps FACETRACKER_A__B to a.b and parses scalars", () => {
    assert.deepEqual(
      configFromEnv({
        FACETRACKER_FACE_FILTERS__MIN_FACE_SIZE: "40",
        FACETRACKER_DB_PATH: "/g",
        OTHER: "x",
        FACETRACKER_CONFIG: "f",
      }),
      { face_filters: { min_face_size: 40 }, db_path: "/g" },
    );
  });
});
