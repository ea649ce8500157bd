// Bundle src/index.ts into one ES module (both custom elements): node build.mjs [outfile].
// Deterministic: no timestamps, no source maps, legal comments collected at the end in a fixed order.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.resolve(
  process.argv[2] ?? path.join(here, "..", "custom_components", "bpo", "frontend", "bpo-panel.js"),
);

await build({
  entryPoints: [path.join(here, "src", "index.ts")],
  absWorkingDir: here,
  bundle: true,
  format: "esm",
  target: "es2021",
  minify: true,
  legalComments: "eof",
  sourcemap: false,
  charset: "utf8",
  outfile,
  logLevel: "warning",
  banner: {
    js: "// bpo panel and card: built by scripts/frontend from frontend/src (do not edit; see docs/home-assistant.md).",
  },
});
