// Driving one endpoint with autocannon while reading the server's CPU time from /proc: what bench/overhead.mjs
// and bench/overhead-ab.mjs measure. CPU time per request hardly moves when other jobs share the machine, unlike
// req/s. Linux only.
import autocannon from "autocannon";
import { readFileSync, readdirSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux: the unit of /proc/<pid>/stat's CPU times

/** CPU ms (user + system) used so far by a server's process and all its descendants: all of them, and workerd's. */
export function treeCpuMs(rootPid) {
  const procs = new Map(); // pid -> { ppid, name, ms }
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    procs.set(Number(pid), { ppid: Number(fields[1]), name, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS });
  }
  const ms = { all: 0, workerd: 0 };
  const inTree = (pid) => {
    for (let p = pid; p > 1; p = procs.get(p)?.ppid ?? 0) if (p === rootPid) return true;
    return false;
  };
  for (const [pid, p] of procs) {
    if (!inTree(pid)) continue;
    ms.all += p.ms;
    if (p.name === "workerd") ms.workerd += p.ms;
  }
  return ms;
}

/**
 * `endpoint` ({ method, path, setup? }) driven for `seconds` by `connections` connections; autocannon's result,
 * the answers of 300 and above, and the CPU ms the server's process tree used meanwhile (all, workerd).
 */
export function driveWithCpu(url, endpoint, serverPid, { connections, seconds }) {
  const before = treeCpuMs(serverPid);
  return new Promise((resolve, reject) => {
    let errors = 0;
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        requests: [{ method: endpoint.method, path: endpoint.path, ...(endpoint.setup ? { setupRequest: endpoint.setup } : {}), onResponse: (status) => (status >= 300 ? errors++ : 0) }],
      },
      (err, result) => {
        if (err) return reject(err);
        const after = treeCpuMs(serverPid);
        resolve({ result, errors, cpu: { all: after.all - before.all, workerd: after.workerd - before.workerd } });
      },
    );
  });
}
