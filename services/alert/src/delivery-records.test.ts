import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { TypedBus } from "@facetracker/bus";
import { MarkerLog } from "@facetracker/infra";
import { AlertDelivery } from "@facetracker/proto";
import { DeliveryRecords } from "./delivery-records.ts";

let dir = "";
after(() => rm(dir, { recursive: true, force: true }));

describe("delivery records kept in a file", () => {
  it("reads a record written with the .proto's names, and one an earlier build wrote in camelCase", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-delivery-records-"));
    const file = path.join(dir, "records.log");
    const now = AlertDelivery.fromPartial({
      alertId: "door-1-5",
      camera: "door",
      notificationStatus: "sent",
    });
    const log = await MarkerLog.open<{ delivery: unknown; published: boolean }>(file, {
      maxAgeMs: 86_400_000,
    });
    await log.set([
      ["new", { delivery: AlertDelivery.toJSON(now), published: true }],
      [
        "old",
        { delivery: { alertId: "door-2-9", camera: "door", notificationStatus: "failed" }, published: false },
      ],
    ]);
    assert.deepEqual(AlertDelivery.toJSON(now), {
      alert_id: "door-1-5",
      camera: "door",
      notification_status: "sent",
    });
    await log.close();
    // No record is published in this test: the bus is not used.
    const records = await DeliveryRecords.open({
      path: file,
      maxAgeMs: 86_400_000,
      bus: {} as TypedBus,
      logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
    });
    assert.deepEqual(
      [
        records.get("new")?.delivery.alertId,
        records.get("new")?.delivery.notificationStatus,
        records.get("new")?.published,
      ],
      ["door-1-5", "sent", true],
    );
    assert.deepEqual(
      [records.get("old")?.delivery.alertId, records.get("old")?.delivery.notificationStatus],
      ["door-2-9", "failed"],
    );
  });
});
