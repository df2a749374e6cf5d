import { type AddressInfo, createServer } from "node:net";

/** `wanted` when it is free on this machine, else a free port. */
export async function freePort(wanted: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "0.0.0.0", () => {
        const { port: bound } = server.address() as AddressInfo;
        server.close(() => resolve(bound));
      });
    });
  return (await tryListen(wanted)) ?? ((await tryListen(0)) as number);
}
