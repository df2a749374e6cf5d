/**
 * Issue 17, item 7: the api's gRPC server carries the standard health service (grpc.health.v1.Health)
 * and server reflection, so that probes and grpcurl work. Against the api as its own process on a real
 * nats-server, with an API token set (the API refuses calls without it; health and reflection answer):
 * - Health/Check says SERVING for "" and "facetracker.v1.FaceTrackerApi" once the api is ready, and
 *   NOT_SERVING while its bus is down, as /healthz does (a Health/Watch stream sees both changes);
 * - reflection (grpc.reflection.v1, what grpcurl asks) lists the API and the health service and returns
 *   the API's file descriptor (its methods are those of the generated code) with every message they use;
 * - a graceful stop ends the open Health/Watch stream instead of waiting on it.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { FaceTrackerApiService } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import {
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  type ServiceClientConstructor,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { type ApiProcess, startApiProcess } from "./helpers/api-process.ts";

const API_SERVICE = "facetracker.v1.FaceTrackerApi";
const TOKEN = "a-token-for-the-health-test";
// The api child inherits this process's environment: the API requires this token.
process.env.FACETRACKER_API__TOKEN = TOKEN;

/** A client constructor of `service` (a full name) from .proto files, read as grpc-js clients do. */
function clientOf(files: string[], includeDirs: string[], service: string): ServiceClientConstructor {
  const loaded = loadPackageDefinition(
    loadSync(files, { keepCase: true, enums: String, longs: Number, oneofs: true, includeDirs }),
  );
  let node: unknown = loaded;
  for (const part of service.split(".")) node = (node as GrpcObject)[part];
  return node as ServiceClientConstructor;
}

const HealthClient = clientOf([healthProtoPath], [], "grpc.health.v1.Health");
// The reflection protocol's own .proto, as shipped in @grpc/reflection (build/proto next to build/src).
const reflectionProtoRoot = path.resolve(
  path.dirname(new URL(import.meta.resolve("@grpc/reflection")).pathname),
  "../proto",
);
const ReflectionClient = clientOf(
  ["grpc/reflection/v1/reflection.proto"],
  [reflectionProtoRoot],
  "grpc.reflection.v1.ServerReflection",
);

interface HealthApi extends Client {
  Check(
    request: { service: string },
    callback: (e: ServiceError | null, r?: { status: string }) => void,
  ): void;
  Watch(request: { service: string }): ClientReadableStream<{ status: string }>;
}
interface ReflectionApi extends Client {
  ServerReflectionInfo(): ClientDuplexStream<Record<string, string>, ReflectionResponse>;
}

interface ReflectionResponse {
  message_response: "list_services_response" | "file_descriptor_response" | "error_response";
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

describe("api: gRPC health service and server reflection (api process, real nats-server)", () => {
  let run: ApiProcess;
  let address: string;
  let health: HealthApi;
  let reflection: ReflectionApi;

  before(async () => {
    run = await startApiProcess("ft-api-health-");
    address = run.api.listening.grpc as string;
    health = new HealthClient(address, credentials.createInsecure()) as unknown as HealthApi;
    reflection = new ReflectionClient(address, credentials.createInsecure()) as unknown as ReflectionApi;
  });
  after(async () => {
    health?.close();
    reflection?.close();
    await run?.stop();
  });

  /** Health/Check of `service`: its status, or the error's code. */
  const check = (service: string) =>
    new Promise<string | number>((resolve) =>
      health.Check({ service }, (error, reply) => resolve(error ? error.code : (reply?.status ?? ""))),
    );
  const healthz = async () => (await fetch(`${run.api.httpUrl}/healthz`)).status;

  /** One reflection request on a fresh ServerReflectionInfo stream, and its one answer. */
  const reflect = (request: Record<string, string>) =>
    new Promise<ReflectionResponse>((resolve, reject) => {
      const call = reflection.ServerReflectionInfo();
      call.once("data", (response: ReflectionResponse) => {
        resolve(response);
        call.end();
      });
      call.once("error", reject);
      call.write({ host: "", ...request });
    });

  it("answers SERVING for the server and for FaceTrackerApi without the token, which the API itself requires", async () => {
    assert.equal(await healthz(), 200, "the api is ready");
    assert.equal(await check(""), "SERVING");
    assert.equal(await check(API_SERVICE), "SERVING");
    assert.equal(await check("no.such.Service"), status.NOT_FOUND);
    const listed = await new Promise<number>((resolve) =>
      run.client.listIdentities({ nameContains: "" }, (error: ServiceError | null) =>
        resolve(error?.code ?? status.OK),
      ),
    );
    assert.equal(listed, status.UNAUTHENTICATED, "the API's own calls still need the bearer token");
  });

  it("lists the API and the health service by reflection, and returns the API's file descriptor with its imports", async () => {
    const listed = await reflect({ list_services: "*" });
    assert.equal(listed.message_response, "list_services_response");
    const names = listed.list_services_response?.service.map((s) => s.name) ?? [];
    assert.ok(names.includes(API_SERVICE), `listed: ${names.join(", ")}`);
    assert.ok(names.includes("grpc.health.v1.Health"), `listed: ${names.join(", ")}`);

    const described = await reflect({ file_containing_symbol: API_SERVICE });
    assert.equal(described.message_response, "file_descriptor_response", JSON.stringify(described));
    const files = (described.file_descriptor_response?.file_descriptor_proto ?? []).map(
      (bytes): FileDescriptorProto => fromBinary(FileDescriptorProtoSchema, bytes),
    );
    // @grpc/reflection describes what protobufjs loaded from proto/facetracker/v1/*.proto: one file per
    // package (facetracker_v1.proto), with the files it depends on.
    const api = files.find((f) => f.service.some((s) => s.name === "FaceTrackerApi"));
    assert.ok(api, `a file declares FaceTrackerApi (got ${files.map((f) => f.name).join(", ")})`);
    assert.equal(api.package, "facetracker.v1");
    const service = api.service.find((s) => s.name === "FaceTrackerApi");
    assert.ok(service);
    // The same methods as the code the server runs (generated from the same .proto by `pnpm proto`).
    const generated = Object.values(FaceTrackerApiService).map((m) => m.path.split("/")[2]);
    assert.deepEqual(service.method.map((m) => m.name).sort(), generated.sort());
    const enroll = service.method.find((m) => m.name === "Enroll");
    assert.equal(enroll?.inputType, ".facetracker.v1.EnrollRequest");
    // grpcurl describes and builds every message a method takes or returns: each is in the answer, and
    // so is every file the API's file imports.
    const messages = new Set(files.flatMap((f) => f.messageType.map((m) => `.${f.package}.${m.name}`)));
    for (const method of service.method) {
      for (const type of [method.inputType, method.outputType])
        assert.ok(messages.has(type), `${method.name}: ${type} is described`);
    }
    for (const dependency of api.dependency) {
      assert.ok(
        files.some((f) => f.name === dependency),
        `${dependency} is returned with ${api.name} (got ${files.map((f) => f.name).join(", ")})`,
      );
    }

    const unknown = await reflect({ file_containing_symbol: "no.such.Symbol" });
    assert.equal(unknown.message_response, "error_response");
    assert.equal(unknown.error_response?.error_code, status.NOT_FOUND);
  });

  it("says NOT_SERVING while the bus is down, as /healthz does, and SERVING again once it is back (Check and Watch)", async () => {
    const seen: string[] = [];
    const watch = health.Watch({ service: API_SERVICE });
    watch.on("data", (reply: { status: string }) => seen.push(reply.status));
    watch.on("error", () => {}); // cancelled at the end
    try {
      await waitFor(() => seen.includes("SERVING"), "Watch to report SERVING");
      process.kill(run.nats.pid, "SIGKILL");
      await waitFor(async () => (await check(API_SERVICE)) === "NOT_SERVING", "NOT_SERVING", 20_000, 50);
      assert.equal(await check(""), "NOT_SERVING");
      assert.equal(await healthz(), 503, "/healthz agrees: not ready without the bus");
      await waitFor(() => seen.includes("NOT_SERVING"), "Watch to report NOT_SERVING");

      await run.nats.restart();
      await waitFor(async () => (await check(API_SERVICE)) === "SERVING", "SERVING again", 30_000, 100);
      assert.equal(await check(""), "SERVING");
      assert.equal(await healthz(), 200, "/healthz agrees: ready again");
      await waitFor(() => seen.lastIndexOf("SERVING") > seen.indexOf("NOT_SERVING"), "Watch: SERVING again");
      assert.deepEqual(seen, ["SERVING", "NOT_SERVING", "SERVING"]);
    } finally {
      watch.cancel();
    }
  });

  it("a graceful stop ends an open Health/Watch stream (NOT_SERVING, then the end) and exits cleanly", async () => {
    const seen: string[] = [];
    const watch = health.Watch({ service: "" });
    watch.on("data", (reply: { status: string }) => seen.push(reply.status));
    const ended = new Promise<string>((resolve) => {
      watch.on("end", () => resolve("end"));
      watch.on("error", (error: ServiceError) => resolve(`error ${error.code}`));
    });
    await waitFor(() => seen.includes("SERVING"), "Watch to report SERVING");
    // SIGTERM, with 20 s before SIGKILL: a stop held up by the open stream would end killed.
    const exit = await run.api.stop(20_000);
    assert.equal(exit, 0, "the api stopped by itself");
    assert.equal(await ended, "end");
    assert.deepEqual(seen, ["SERVING", "NOT_SERVING"]);
  });
});
