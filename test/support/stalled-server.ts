// A server that accepts connections and requests and never answers: a database (or any dependency)
// that hangs. Started by global-setup (workerd tests cannot listen); tests reach it at `stalledUrl`.
import http from "node:http";
import { listenOnLocalPort, type LocalServer } from "./listen";

export function startStalledServer(): Promise<LocalServer> {
  const server = http.createServer(() => {
    // Never answers.
  });
  return listenOnLocalPort(server);
}
