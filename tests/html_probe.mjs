// Asks workerd's own HTMLRewriter (through the pinned Miniflare) what it accepts, for tests
// that compare Swerve's checks with the runtime. Prints one JSON line {"url": ...} when ready;
// stops when stdin closes.
//   POST /selectors  ["sel", ...]                 -> {"sel": "ok" | error message}
//   POST /attributes {"names": [...]}             -> {"name": "ok" | error message}  (setAttribute)
import { Miniflare } from "miniflare";

const script = `
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    const body = await request.json();
    const out = {};
    if (path === "/selectors") {
      for (const selector of body) {
        try { new HTMLRewriter().on(selector, { element() {} }); out[selector] = "ok"; }
        catch (error) { out[selector] = String(error.message || error); }
      }
    } else if (path === "/attributes") {
      for (const name of body.names) {
        let verdict = "ok";
        const rewriter = new HTMLRewriter().on("p", {
          element(el) { try { el.setAttribute(name, "v"); } catch (error) { verdict = String(error.message || error); } },
        });
        await rewriter.transform(new Response("<p>x</p>", { headers: { "content-type": "text/html" } })).text();
        out[name] = verdict;
      }
    }
    return Response.json(out);
  },
};`;
const mf = new Miniflare({ modules: true, script, compatibilityDate: "2024-11-01", host: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ url: (await mf.ready).toString() }));
process.stdin.on("end", async () => { await mf.dispose(); process.exit(0); });
process.stdin.resume();
