// The local test servers (fake Expo, fake Moodle, callback receiver, stalled dependency) listen the same way:
// an ephemeral port on 127.0.0.1, and a close that also drops open (keep-alive or hanging) connections.
import type http from "node:http";

export type LocalServer = { url: string; close: () => Promise<void> };

export function listenOnLocalPort(server: http.Server): Promise<LocalServer> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
