// GrowthBook's Cloudflare edge app, as its README deploys it: the benchmark's peer.
// bench_edge.py bundles this with esbuild and runs it in the same pinned workerd as Swerve,
// with the SDK payload in local KV (KV_GB_PAYLOAD, key gb_payload).
import { handleRequest } from "@growthbook/edge-cloudflare";

export default {
  async fetch(request, env) {
    return await handleRequest(request, env);
  },
};
