import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Bus, connectBus, readDeadLetter, typedBus } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { Alert, type TrackEvent, TrackEventType } from "@facetracker/proto";
import { BUS_AUTH_FILE, NATS_CONFIG_FILE, readBusCredential } from "./bus-credentials.ts";
import type { BusUser } from "./bus-permissions.ts";
import type { PipelineLogEntry } from "./pipeline-log.ts";
import { type FaceTrackingPipeline, startPipeline } from "./start-pipeline.ts";

const TEN_YEARS_MS = 10 * 365 * 24 * 3600_000;

function trackEvent(trackId: number, fields: Partial<TrackEvent> = {}): TrackEvent {
  return {
    camera: "door",
    trackId,
    type: TrackEventType.IDENTIFIED,
    box: undefined,
    score: 0.9,
    identity: undefined,
    seq: trackId,
    pts: 1,
    timeMs: Date.now(),
    thumbnailJpeg: Buffer.alloc(0),
    identifying: false,
    embedding: [],
    undetermined: false,
    memoryEmbeddings: [],
    ...fields,
  };
}

/** Every process command line on this machine (/proc/<pid>/cmdline). */
function commandLines(): string[] {
  const out: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.push(readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe("facetracker up's own nats-server: a user per service with least privilege (real nats-server and services)", () => {
  let dataDir: string;
  let pipeline: FaceTrackingPipeline;
  const logs: PipelineLogEntry[] = [];
  const buses: Bus[] = [];
  const connectAs = async (user: BusUser) => {
    const bus = await connectBus({
      servers: pipeline.natsUrl,
      name: `test-${user}`,
      ...(await readBusCredential(dataDir, user)),
    });
    buses.push(bus);
    return bus;
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ft-bus-auth-"));
    const config = parseConfig({
      db_path: path.join(dataDir, "gallery"),
      alerts: { alert_mode: "ON_ALL" },
      api: { port: 0, http_port: 0 },
    });
    pipeline = await startPipeline({ config, dataDir, onLog: (entry) => logs.push(entry) });
  });

  after(async () => {
    for (const bus of buses) await bus.close();
    await pipeline?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps the credentials and the server configuration 0600 in the data directory, never on a command line", async () => {
    for (const file of [BUS_AUTH_FILE, NATS_CONFIG_FILE]) {
      const mode = (await stat(path.join(dataDir, file))).mode & 0o777;
      assert.equal(mode, 0o600, `${file} is private (mode ${mode.toString(8)})`);
    }
    const { users } = JSON.parse(await readFile(path.join(dataDir, BUS_AUTH_FILE), "utf8")) as {
      users: Record<string, string>;
    };
    assert.ok(Object.keys(users).length >= 10, "a password for each service and the observer");
    const lines = commandLines();
    for (const [user, pass] of Object.entries(users)) {
      assert.deepEqual(
        lines.filter((line) => line.includes(pass)),
        [],
        `the password of ${user} is on no command line`,
      );
    }
  });

  it("refuses a client without credentials", async () => {
    await assert.rejects(connectBus({ servers: pipeline.natsUrl, name: "anonymous" }), /authorization/i);
  });

  it("refuses an alert published with the track service's credentials (permission violation)", async () => {
    const track = await connectAs("track");
    const alert = Alert.encode(Alert.fromPartial({ id: "forged-1", camera: "door", trackId: 1 })).finish();
    await assert.rejects(
      track.js.publish("ft.alerts.door", alert),
      /Permissions Violation for Publish to "ft\.alerts\.door"/,
    );
  });

  it("a forged track event never becomes an alert: refused from the ingest user, dead-lettered with the reason when insane", async () => {
    const alerts = pipeline.alerts();
    // Wrong publisher: the ingest service's user may not publish track events.
    const ingest = typedBus(await connectAs("ingest"));
    await assert.rejects(
      ingest.publish("tracks", trackEvent(6)),
      /Permissions Violation for Publish to "ft\.tracks\.door"/,
    );
    // The right publisher, insane messages: dead-lettered by the alert service's consumer, with the reason.
    const track = typedBus(await connectAs("track"));
    await track.publish("tracks", trackEvent(4_000_000_000));
    await track.publish("tracks", trackEvent(8, { timeMs: Date.now() + TEN_YEARS_MS }));
    await track.publish(
      "tracks",
      trackEvent(9, { identity: { id: "p9", name: "<b>Eve</b>\u0007", attributes: {}, similarity: 0.9 } }),
    );
    // A sane one after them: it alerts, so the consumer has been past the insane ones.
    await track.publish("tracks", trackEvent(7));
    const first = await alerts.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.trackId, 7, "the first alert is the sane event's: none for the forged ones");
    await alerts.return(undefined);

    const observer = await connectAs("observer");
    const dlq = await observer.jsm.streams.info("FT_DLQ");
    const letters = [];
    for (let seq = dlq.state.first_seq; seq <= dlq.state.last_seq; seq++) {
      const m = await observer.jsm.streams.getMessage("FT_DLQ", { seq });
      if (m) letters.push(readDeadLetter({ headers: m.header, data: m.data }));
    }
    const ours = letters.filter((l) => l.consumer === "alert_door" && l.subject === "ft.tracks.door");
    assert.deepEqual(
      ours.map((l) => l.stage),
      ["check", "check", "check"],
      JSON.stringify(letters.map((l) => l.error)),
    );
    assert.match(ours[0]?.error ?? "", /track ID 4000000000 is beyond 2147483647/);
    assert.match(ours[1]?.error ?? "", /capture time 20\d\d-.* is more than 5 minutes ahead/);
    assert.match(ours[2]?.error ?? "", /identity name .* has control characters/);
  });

  it("up reports each violation the server logs, and the services caused none", () => {
    const violations = logs.filter((l) => /Violation/.test(l.message)).map((l) => l.message);
    const refusedAbove = (m: string) =>
      /User "track".*ft\.alerts\.door|User "ingest".*ft\.tracks\.door/.test(m);
    assert.ok(violations.some(refusedAbove), `the refused publishes above are reported: ${violations}`);
    assert.deepEqual(
      violations.filter((m) => !refusedAbove(m)),
      [],
    );
  });
});
