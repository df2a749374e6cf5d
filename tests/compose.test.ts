import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseConfig } from "@facetracker/config";
import { type BusUser, BUS_USERS as busUsers, passwordVariable } from "@facetracker/runner";
import { SERVICES } from "@facetracker/service-host";
import { parse } from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const composeFile = path.join(root, "docker-compose.yml");
const pipeline = ["ingest", "detect", "embed", "track", "alert", "clip-recorder", "restream"];
const natsNodes = ["nats-1", "nats-2", "nats-3"];

interface ComposeService {
  image?: string;
  command?: string[];
  container_name?: string;
  ports?: string[];
  healthcheck?: { test: string[] };
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}

// No Docker engine runs here: the compose file is checked by parsing it (and by Debian's docker-compose
// `config` when it is installed), not by running it.
describe("docker compose for a site (validated by parsing)", () => {
  const doc = parse(readFileSync(composeFile, "utf8"), { merge: true }) as {
    services: Record<string, ComposeService>;
  };

  it("runs the infrastructure and every pipeline service from one image", () => {
    for (const name of [
      ...natsNodes,
      "qdrant",
      "minio",
      "minio-bucket",
      "mediamtx",
      "apprise-api",
      "api",
      "web",
      ...pipeline,
    ]) {
      assert.ok(doc.services[name], `service ${name}`);
    }
    for (const name of pipeline) {
      const s = doc.services[name] as ComposeService;
      assert.equal(s.image, "facetracker:latest", name);
      assert.ok(s.healthcheck?.test.join(" ").includes("/healthz"), `${name} health check`);
      assert.equal(s.container_name, undefined, `${name}: no fixed container name (scalable)`);
      assert.equal(s.ports, undefined, `${name}: no fixed host port (scalable)`);
      const entry = s.command?.[0] as string;
      assert.ok(existsSync(path.join(root, entry)), `${name} runs ${entry}, which exists`);
    }
    for (const name of ["api", "web"]) {
      const entry = doc.services[name]?.command?.[0] as string;
      assert.ok(existsSync(path.join(root, entry)), `${name} runs ${entry}, which exists`);
    }
  });

  it("gives each service its own bus user, whose password the nats container requires (deploy/nats)", () => {
    for (const name of [...pipeline, "api", "web"]) {
      const env = doc.services[name]?.environment ?? {};
      assert.equal(env.FACETRACKER_NATS__USER, name, `${name} connects as its own user`);
      assert.match(
        env.FACETRACKER_NATS__PASS ?? "",
        new RegExp(`^\\$\\{${passwordVariable(name as BusUser)}:\\?`),
      );
    }
    for (const node of natsNodes) {
      const natsEnv = doc.services[node]?.environment ?? {};
      for (const user of busUsers)
        assert.ok(natsEnv[passwordVariable(user)], `${node} gets ${passwordVariable(user)}`);
    }
    assert.match(
      readFileSync(path.join(root, "deploy/nats/nats.conf"), "utf8"),
      /^include \.\/users\.conf$/m,
    );
  });

  it("mounts a configuration that FaceTracker accepts", () => {
    // The MinIO keys come from the environment of every service (FACETRACKER_STORAGE__*).
    const yaml = parse(readFileSync(path.join(root, "deploy/facetracker.yaml"), "utf8"));
    const env = doc.services.alert?.environment as Record<string, string>;
    assert.ok(env.FACETRACKER_STORAGE__ACCESS_KEY && env.FACETRACKER_STORAGE__SECRET_KEY, "storage keys");
    const config = parseConfig({
      ...yaml,
      storage: { ...yaml.storage, access_key: "k", secret_key: "s" },
    });
    assert.equal(config.storage.bucket, "facetracker-clips");
    assert.equal(config.alerts.apprise_api_url, "http://apprise-api:8000");
    assert.equal(config.live_stream.rtsp_server, "rtsp://mediamtx:8554");
    assert.equal(config.gallery.backend, "qdrant");
    assert.equal(config.nats.url, natsNodes.map((node) => `nats://${node}:4222`).join(","));
    assert.equal(config.api.address, "api:50051", "the web service reaches the api by its service name");
    assert.equal(config.listen_host, "0.0.0.0", "inside a container the listeners bind every interface");
    for (const name of ["api", "web"]) {
      for (const port of doc.services[name]?.ports ?? []) {
        assert.match(
          port,
          /^\$\{FACETRACKER_PUBLISH_HOST:-127\.0\.0\.1\}:/,
          `${name}: published on the host's loopback`,
        );
      }
    }
    assert.match(
      readFileSync(path.join(root, "deploy/Dockerfile"), "utf8"),
      /FACETRACKER_LISTEN_HOST=0\.0\.0\.0/,
      "the image sets the container's listen address explicitly",
    );
    for (const file of ["deploy/Dockerfile", "deploy/nats/nats.conf", "deploy/mediamtx/mediamtx.yml"]) {
      assert.ok(existsSync(path.join(root, file)), file);
    }
  });

  it("scales every per-camera service with no configuration (`--scale alert=3`): instance IDs from hostnames, own state directories", () => {
    const yaml = parse(readFileSync(path.join(root, "deploy/facetracker.yaml"), "utf8"));
    const config = parseConfig({ ...yaml, storage: { ...yaml.storage, access_key: "k", secret_key: "s" } });
    /** A volume mounted by a scalable service holds per-instance directories where state is kept. */
    const perInstance: Record<string, string> = {
      alert: config.alerts.notification_state_path,
      "clip-recorder": config.storage.spool_path,
    };
    for (const { name, instances } of SERVICES) {
      if (instances !== "many" || !pipeline.includes(name)) continue;
      const s = doc.services[name] as ComposeService;
      assert.equal(s.container_name, undefined, `${name}: no fixed container name`);
      assert.equal(s.ports, undefined, `${name}: no fixed host port`);
      assert.equal(
        s.environment?.FACETRACKER_INSTANCE,
        undefined,
        `${name}: the instance ID is the hostname`,
      );
      const state = perInstance[name];
      if (state)
        assert.match(state, /\{instance\}/, `${name}: its state directory is per instance (${state})`);
    }
  });

  it("runs the bus as a three-node JetStream cluster, each node with its own volume, every service depending on all three", () => {
    const volumes = new Set<string>();
    for (const node of natsNodes) {
      const s = doc.services[node] as ComposeService;
      assert.deepEqual(s.command, ["-c", `/etc/nats/${node}.conf`], `${node} runs its own configuration`);
      assert.ok(s.healthcheck?.test.join(" ").includes("/healthz"), `${node} health check`);
      assert.equal(s.ports, undefined, `${node}: neither clients nor routes published on the host`);
      const data = s.volumes?.find((v) => v.endsWith(":/data"));
      assert.ok(data && !data.startsWith("."), `${node} keeps its store on a named volume`);
      volumes.add(data);
      for (const file of ["nats.conf", `${node}.conf`, "users.conf"]) {
        assert.ok(
          s.volumes?.includes(`./deploy/nats/${file}:/etc/nats/${file}:ro`),
          `${node} mounts ${file}`,
        );
      }
      const conf = readFileSync(path.join(root, `deploy/nats/${node}.conf`), "utf8");
      assert.match(conf, new RegExp(`^server_name: ${node}$`, "m"), `${node}: its own JetStream server name`);
      assert.match(conf, /^include \.\/nats\.conf$/m, `${node}: the common configuration (users included)`);
      assert.match(conf, /^\s*name: facetracker$/m, `${node}: the cluster's name`);
      assert.match(conf, /^\s*listen: 0\.0\.0\.0:6222$/m, `${node}: listens for routes`);
      const routes = /routes: \[([^\]]*)\]/
        .exec(conf)?.[1]
        ?.split(",")
        .map((r) => r.trim());
      assert.deepEqual(
        routes,
        natsNodes.filter((n) => n !== node).map((n) => `nats-route://${n}:6222`),
        `${node}: routes to the other two`,
      );
    }
    assert.equal(volumes.size, natsNodes.length, "one store volume per node");
    for (const name of [...pipeline, "api", "web"]) {
      const dependsOn = doc.services[name]?.depends_on ?? {};
      for (const node of natsNodes) {
        assert.equal(dependsOn[node]?.condition, "service_healthy", `${name} waits for ${node}`);
      }
      assert.equal(dependsOn.nats, undefined, `${name}: no single nats service any more`);
    }
  });

  it("lets only the restream publish to MediaMTX and readers in with a password, from the environment; WebRTC's ports are published", () => {
    const mediamtx = doc.services.mediamtx as ComposeService;
    const conf = parse(readFileSync(path.join(root, "deploy/mediamtx/mediamtx.yml"), "utf8")) as Record<
      string,
      unknown
    >;
    assert.equal(conf.authMethod, "internal");
    assert.deepEqual(conf.authInternalUsers, [], "no user in the file: none written in the repository");
    assert.deepEqual(conf.rtspAuthMethods, ["basic"], "what the restream's relay sends");
    // MediaMTX reads MTX_AUTHINTERNALUSERS_<n>_<FIELD> (and _PERMISSIONS_<m>_ACTION) into list entries.
    const env = mediamtx.environment ?? {};
    const users: { user: string; pass: string; actions: string[] }[] = [];
    for (const [name, value] of Object.entries(env)) {
      const m = /^MTX_AUTHINTERNALUSERS_(\d+)_(USER|PASS|PERMISSIONS_(\d+)_ACTION)$/.exec(name);
      if (!m) continue;
      const index = Number(m[1]);
      users[index] ??= { user: "", pass: "", actions: [] };
      const user = users[index];
      if (m[2] === "USER") user.user = value;
      else if (m[2] === "PASS") user.pass = value;
      else user.actions[Number(m[3])] = value;
    }
    assert.equal(users.length, 2, "a publisher and a reader, nobody else");
    const [publisher, reader] = users as [(typeof users)[0], (typeof users)[0]];
    assert.deepEqual(publisher.actions, ["publish"]);
    assert.deepEqual(reader.actions, ["read", "playback"]);
    for (const u of users) {
      assert.notEqual(u.user, "any", "no anonymous user");
      assert.match(u.pass, /^\$\{MEDIAMTX_[A-Z_]+_PASSWORD:\?/, "a password that must be set, from .env");
    }
    assert.notEqual(publisher.pass, reader.pass, "the readers cannot publish");

    // The restream publishes as that user, with the same password variable.
    const restream = doc.services.restream?.environment ?? {};
    assert.equal(restream.FACETRACKER_LIVE_STREAM__USER, publisher.user);
    const variable = (text: string) => /^\$\{([A-Z_]+)/.exec(text)?.[1];
    assert.equal(variable(restream.FACETRACKER_LIVE_STREAM__PASS ?? ""), variable(publisher.pass));
    const yaml = parse(readFileSync(path.join(root, "deploy/facetracker.yaml"), "utf8"));
    const config = parseConfig({
      ...yaml,
      storage: { ...yaml.storage, access_key: "k", secret_key: "s" },
      live_stream: { ...yaml.live_stream, user: publisher.user, pass: "from-the-environment" },
    });
    assert.equal(config.live_stream.user, "restream");

    for (const port of ["8554:8554", "8889:8889", "8189:8189/udp", "8189:8189/tcp"])
      assert.ok(mediamtx.ports?.includes(port), `mediamtx publishes ${port}`);
    assert.equal(conf.webrtcLocalUDPAddress, ":8189");
    assert.equal(conf.webrtcLocalTCPAddress, ":8189");
  });

  const dockerCompose = spawnSync("docker-compose", ["version", "--short"], { encoding: "utf8" });
  const skip =
    dockerCompose.status === 0
      ? false
      : "Debian's docker-compose is not installed: `docker-compose config` check skipped";
  it("passes `docker-compose config`", { skip }, () => {
    const r = spawnSync("docker-compose", ["-f", composeFile, "config", "-q"], {
      cwd: root,
      encoding: "utf8",
      env: {
        ...process.env,
        FACETRACKER_API_TOKEN: "a-token-for-the-check",
        MEDIAMTX_PUBLISH_PASSWORD: "a-publish-password-for-the-check",
        MEDIAMTX_READ_PASSWORD: "a-read-password-for-the-check",
        ...Object.fromEntries(busUsers.map((u) => [passwordVariable(u), `a-password-for-${u}`])),
      },
    });
    assert.equal(r.status, 0, r.stderr);
  });
});
