// A server that accepts connections and requests and never answers: a database (or any dependency)
// that hangs. Started by global-setup (workerd tests cannot listen); tests reach it at `stalledUrl`.
import http from "node:http";
import type { Socket } from "node:net";

export function startStalledServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer(() => {
    // Never answers.
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
