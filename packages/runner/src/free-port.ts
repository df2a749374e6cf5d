import { type AddressInfo, createServer } from "node:net";

/** `wanted` when it is free at `host` (the address the listener will bind), else a free port. */
export async function freePort(wanted: number, host: string): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, host, () => {
        const { port: bound } = server.address() as AddressInfo;
        server.close(() => resolve(bound));
      });
    });
  return (await tryListen(wanted)) ?? ((await tryListen(0)) as number);
}
