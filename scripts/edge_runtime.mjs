// Runs Swerve's Worker in workerd through the pinned, offline-capable Miniflare, with
// real local KV persisted to a directory, and a small control server to write KV.
// Configuration comes as JSON in argv[2]:
//   {"persist": DIR, "vars": {...}, "port": 0, "namespace": ID?, "passthrough": ORIGIN_URL?,
//    "d1": DATABASE_ID?, "d1Persist": DIR?}
// With "d1", the Worker gets the D1 binding SWERVE_STATS (persisted under "d1Persist"), and
// the control server answers POST /d1 {"sql", "params"?} with the rows, POST /d1/exec {"sql"}.
// "namespace" is the KV namespace id (wrangler.toml's, to read what `wrangler kv --local`
// wrote under DIR); by default the namespace is named after the binding.
// With "passthrough", it runs a minimal JavaScript Worker that forwards every request to
// that origin instead (the benchmark's baseline in the same runtime). With "main" (a Python
// file), that file is the entry module instead of worker/entry.py (which stays importable as
// `entry`); with "esm" (a bundled ES module), that JavaScript Worker runs instead. "kvAliases"
// binds the same KV namespace under more names (benchmarks of other edge apps).
// Prints one JSON line {"url": ..., "control": ...} when ready; stops on SIGTERM or when
// stdin closes, so it never outlives the process that started it.
import { Miniflare } from "miniflare";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import { basename, join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const options = JSON.parse(process.argv[2] || "{}");
const worker = join(root, "worker");
const modules = [{ type: "PythonModule", path: "entry.py", contents: readFileSync(join(worker, "entry.py"), "utf8") }];
if (options.main) {
  modules.unshift({ type: "PythonModule", path: basename(options.main), contents: readFileSync(options.main, "utf8") });
}
for (const name of readdirSync(join(worker, "swerve_edge")).filter((n) => n.endsWith(".py")).sort()) {
  modules.push({ type: "PythonModule", path: `swerve_edge/${name}`, contents: readFileSync(join(worker, "swerve_edge", name), "utf8") });
}

const passthrough = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    const origin = new URL(${JSON.stringify(options.passthrough || "")});
    url.protocol = origin.protocol;
    url.host = origin.host;
    return fetch(new Request(url, request), { redirect: "manual" });
  },
};`;
const esm = (path, contents) => ({ modules: [{ type: "ESModule", path, contents }], compatibilityDate: "2024-11-01" });
const script = options.passthrough
  ? esm("passthrough.mjs", passthrough)
  : options.esm
    ? esm(basename(options.esm), readFileSync(options.esm, "utf8"))
    : { modules, compatibilityDate: "2024-11-01", compatibilityFlags: ["python_workers"] };
const kvNamespaces = { SWERVE_RULES: options.namespace || "SWERVE_RULES" };
for (const alias of options.kvAliases || []) kvNamespaces[alias] = kvNamespaces.SWERVE_RULES;

const d1 = options.d1 ? { d1Databases: { SWERVE_STATS: options.d1 }, d1Persist: options.d1Persist } : {};
const mf = new Miniflare({
  ...script,
  ...d1,
  kvNamespaces,
  kvPersist: options.persist,
  bindings: options.vars || {},
  host: "127.0.0.1",
  port: options.port || 0,
});
const url = await mf.ready;
const kv = await mf.getKVNamespace("SWERVE_RULES");
const db = options.d1 ? await mf.getD1Database("SWERVE_STATS") : null;

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

const control = createServer(async (req, res) => {
  try {
    if (req.url.startsWith("/d1")) {
      const { sql, params } = await readJson(req);
      const out = req.url === "/d1/exec" ? await db.exec(sql) : (await db.prepare(sql).bind(...(params || [])).all()).results;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out ?? null));
      return;
    }
    const key = decodeURIComponent(new URL(req.url, "http://x").pathname.replace(/^\/kv\//, ""));
    if (req.method === "PUT") {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      await kv.put(key, Buffer.concat(chunks).toString("utf8"));
    } else if (req.method === "DELETE") {
      await kv.delete(key);
    }
    res.writeHead(204).end();
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});
control.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ url: url.toString(), control: `http://127.0.0.1:${control.address().port}` }));
});

async function stop() {
  control.close();
  await mf.dispose();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
