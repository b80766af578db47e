// Load generator for bench_edge.py: N keep-alive clients, each sending its next request as
// soon as the previous response has been read in full, for a duration or a request count.
// Each client keeps the cookies it is given (an edge app's visitor id), like a browser.
// Usage: node edge_load.mjs '{"url": URL, "clients": 8, "seconds": 3}' (or "requests": N)
// Prints {"requests", "seconds", "errors", "statuses"} as one JSON line.
import http from "node:http";

const options = JSON.parse(process.argv[2]);
const url = new URL(options.url);
const headers = options.headers || {};
const deadline = options.seconds ? performance.now() + options.seconds * 1000 : Infinity;
let remaining = options.requests ?? Infinity;
let done = 0;
let errors = 0;
const statuses = {};

function once(agent, cookie) {
  return new Promise((resolve) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, agent, headers: cookie ? { ...headers, cookie } : headers },
      (response) => {
        statuses[response.statusCode] = (statuses[response.statusCode] || 0) + 1;
        const set = response.headers["set-cookie"];
        response.on("data", () => {});
        response.on("end", () => resolve(set ? set.map((c) => c.split(";", 1)[0]).join("; ") : cookie));
      },
    );
    request.on("error", () => {
      errors += 1;
      resolve(cookie);
    });
    request.end();
  });
}

async function client() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let cookie = "";
  while (remaining > 0 && performance.now() < deadline) {
    remaining -= 1;
    cookie = await once(agent, cookie);
    done += 1;
  }
  agent.destroy();
}

const start = performance.now();
await Promise.all(Array.from({ length: options.clients || 8 }, client));
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ requests: done, seconds, errors, statuses }));
