// The process drawn from the parsed Mermaid source: nodes in step order as boxes shaped by kind, each
// with its outgoing edges. A few dozen lines instead of Mermaid itself (megabytes).
import { html, nothing, type TemplateResult } from "lit";
import { parseMermaid } from "./graph-parse.js";

/** engine/graph.py's node id of a step id. */
export const nodeId = (step: string) => "s_" + step.replace(/[^A-Za-z0-9_]/g, "_");

export function renderGraph(source: string, current: string[], visited: string[]): TemplateResult {
  const { nodes, edges } = parseMermaid(source);
  const now = new Set(current.map(nodeId));
  const seen = new Set(visited.map(nodeId));
  const names = new Map(nodes.map((n) => [n.id, n.label.split("\n")[0].split(":")[0]]));
  return html`<ol class="graph">
    ${nodes.map((n) => {
      const [head, ...rest] = n.label.split("\n");
      const out = edges.filter((e) => e.from === n.id);
      const state = now.has(n.id) ? "current" : seen.has(n.id) ? "visited" : "";
      return html`<li class="node ${n.shape} ${state}" data-node=${n.id}>
        <div class="box"><strong>${head}</strong>${rest.map((r) => html`<div class="muted">${r}</div>`)}</div>
        ${
          out.length
            ? html`<ul class="edges">${out.map(
                (e) =>
                  html`<li class=${e.dashed ? "dashed" : ""}>→ ${names.get(e.to) ?? e.to}${
                    e.label ? html` <span class="muted">(${e.label})</span>` : nothing
                  }</li>`,
              )}</ul>`
            : nothing
        }
      </li>`;
    })}
  </ol>`;
}
