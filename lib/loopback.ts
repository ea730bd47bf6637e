// Free TCP ports on the loopback interface, for the servers the tests and the benchmark start.
import { createServer } from "node:net";

export const LOOPBACK = "127.0.0.1";

/**
 * A port that was free a moment ago: the kernel picks it, then it is released for the caller.
 * Another process may take it in between, so callers that start a server retry on "address in use".
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the port of a loopback listener"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
