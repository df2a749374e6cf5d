import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { BUS_USERS, natsServerConfig, passwordVariable, permissionsOf } from "./bus-permissions.ts";

const deployUsers = new URL("../../../deploy/nats/users.conf", import.meta.url);

describe("bus permissions (one model for up and for Compose)", () => {
  it('deploy/nats/users.conf is the model up runs with (regenerate it from natsServerConfig("environment"))', () => {
    assert.equal(readFileSync(deployUsers, "utf8"), natsServerConfig("environment"));
    assert.equal(passwordVariable("clip-recorder"), "NATS_PASSWORD_CLIP_RECORDER");
  });

  it("only the producing stage may publish each kind; the observer publishes nothing of the pipeline's", () => {
    const publishers = (subject: string) =>
      BUS_USERS.filter((u) => permissionsOf(u).publish.includes(subject)).sort();
    assert.deepEqual(publishers("ft.frames.>"), ["ingest"]);
    assert.deepEqual(publishers("ft.detections.>"), ["detect"]);
    assert.deepEqual(publishers("ft.tracks.>"), ["track"]);
    assert.deepEqual(publishers("ft.snapshots.>"), ["track"]);
    assert.deepEqual(publishers("ft.alerts.>"), ["alert"]);
    assert.deepEqual(publishers("ft.deliveries.>"), ["alert", "clip-recorder"]);
    assert.deepEqual(publishers("ft.clips.>"), ["clip-recorder"]);
    assert.deepEqual(publishers("ft.gallery.changed"), ["api"]);
    assert.deepEqual(publishers("$KV.ft_cameras.>"), ["api", "ingest"]);
    assert.deepEqual(
      permissionsOf("observer").publish.filter((s) => s.startsWith("ft.") || s.startsWith("$KV.")),
      [],
    );
    assert.deepEqual(
      BUS_USERS.filter((u) => permissionsOf(u).answers),
      ["embed"],
    );
  });
});
