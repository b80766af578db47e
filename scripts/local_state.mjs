// Local KV and D1 for one whole CLI command, through Miniflare's own storage API: the
// same calls (`getKVNamespace`, `getD1Database`) and the same persistence options that
// `wrangler kv --local`, `wrangler d1 execute --local` and `wrangler dev` use, so every
// one of them reads what this writes. Started by src/swerve/local_state.py.
//
// argv[2]: JSON {"persist": STATE_DIR, "kv": {BINDING: ID}, "d1": {BINDING: ID}}
//   STATE_DIR is wrangler's state directory (".wrangler/state" or --persist-to); data lives
//   in STATE_DIR/v3/kv and STATE_DIR/v3/d1, as wrangler lays it out.
// stdin: one JSON request a line, answered in order on stdout, one JSON line each:
//   {"op": "kv.get", "binding", "key"}                -> {"value": STRING or null}
//   {"op": "kv.put", "binding", "key", "value"}       -> {}
//   {"op": "d1.batch", "binding", "statements": [[SQL, [PARAM...]]...]}
//                                                     -> {"results": [{"rows": [...], "changes": N}...]}
//   a failure answers {"error": MESSAGE}.
// A batch runs in one transaction (D1's batch semantics). When stdin closes, the pending
// requests finish, Miniflare is disposed and the process exits: it never outlives the CLI.
import { Miniflare } from "miniflare";
import { join } from "node:path";
import { createInterface } from "node:readline";

const options = JSON.parse(process.argv[2] || "{}");
const mf = new Miniflare({
  modules: true,
  script: "export default {}",
  kvPersist: join(options.persist, "v3", "kv"),
  d1Persist: join(options.persist, "v3", "d1"),
  kvNamespaces: options.kv || {},
  d1Databases: options.d1 || {},
});
// Opened now, while the CLI is still compiling: requests wait for them.
const namespaces = new Map(Object.keys(options.kv || {}).map((b) => [b, mf.getKVNamespace(b)]));
const databases = new Map(Object.keys(options.d1 || {}).map((b) => [b, mf.getD1Database(b)]));
for (const pending of [...namespaces.values(), ...databases.values()]) pending.catch(() => {});

function kv(binding) {
  if (!namespaces.has(binding)) throw new Error(`no KV binding ${binding} in the config`);
  return namespaces.get(binding);
}

function d1(binding) {
  if (!databases.has(binding)) throw new Error(`no D1 binding ${binding} in the config`);
  return databases.get(binding);
}

async function handle(request) {
  switch (request.op) {
    case "kv.get":
      return { value: await (await kv(request.binding)).get(request.key, "text") };
    case "kv.put":
      await (await kv(request.binding)).put(request.key, request.value);
      return {};
    case "d1.batch": {
      const db = await d1(request.binding);
      const prepared = request.statements.map(([sql, params]) => db.prepare(sql).bind(...(params || [])));
      const results = await db.batch(prepared);
      return { results: results.map((r) => ({ rows: r.results || [], changes: r.meta?.changes ?? 0 })) };
    }
    default:
      throw new Error(`unknown operation ${request.op}`);
  }
}

function describe(error) {
  const cause = error?.cause ? `: ${error.cause.message ?? error.cause}` : "";
  return `${error?.message ?? error}${cause}`;
}

let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  queue = queue.then(async () => {
    let answer;
    try {
      answer = await handle(JSON.parse(line));
    } catch (error) {
      answer = { error: describe(error) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
lines.on("close", () => {
  queue.then(async () => {
    await mf.dispose();
    process.exit(0);
  });
});
