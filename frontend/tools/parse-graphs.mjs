// Test helper (tests/test_frontend_bundle.py): parse Mermaid sources with the panel's own parser.
// stdin: a JSON list of sources; stdout: a JSON list of {nodes, edges} (src/graph-parse.ts).
import { build } from "esbuild";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "bpo-graph-"));
try {
  const outfile = path.join(dir, "graph-parse.mjs");
  await build({
    entryPoints: [path.join(here, "..", "src", "graph-parse.ts")],
    bundle: true,
    format: "esm",
    outfile,
    logLevel: "warning",
  });
  const { parseMermaid } = await import(pathToFileURL(outfile).href);
  const sources = JSON.parse(readFileSync(0, "utf8"));
  console.log(JSON.stringify(sources.map((source) => parseMermaid(source))));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
