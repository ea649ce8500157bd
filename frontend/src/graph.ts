// The process drawn from the Mermaid source bpo/instance/get sends (engine/graph.py's flowchart TD):
// nodes in declaration order (= step order) as boxes shaped by kind, each with its outgoing edges.
// A few dozen lines instead of Mermaid itself (megabytes).
import { html, nothing, type TemplateResult } from "lit";

export interface GraphNode { id: string; label: string; shape: string }
export interface GraphEdge { from: string; to: string; label: string; dashed: boolean }

const NODE = /^([A-Za-z0-9_]+)\s*([[({/\\>]+)"(.*)"([\])}/\\]+)$/;
const EDGE = /^([A-Za-z0-9_]+)\s+(-->|-\.->)(?:\|"(.*)"\|)?\s*([A-Za-z0-9_]+)$/;
const SHAPES: Record<string, string> = {
  "([": "start", "[": "task", "{": "choice", "((": "end", "(((": "end", "[[": "action", "{{": "wait",
  "[/": "parallel", "[\\": "parallel", ">": "flag",
};

const text = (label: string) => label.replace(/#quot;/g, '"').replace(/<br\/?>/g, "\n");

export function parseMermaid(source: string): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const raw of source.split("\n")) {
    const line = raw.trim();
    const edge = EDGE.exec(line);
    if (edge) {
      edges.push({ from: edge[1], to: edge[4], label: text(edge[3] ?? ""), dashed: edge[2] === "-.->" });
      continue;
    }
    const node = NODE.exec(line);
    if (node) nodes.push({ id: node[1], label: text(node[3]), shape: SHAPES[node[2]] ?? "task" });
  }
  return { nodes, edges };
}

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
        ${out.length
          ? html`<ul class="edges">${out.map((e) => html`<li class=${e.dashed ? "dashed" : ""}>→ ${names.get(e.to) ?? e.to}${e.label
              ? html` <span class="muted">(${e.label})</span>` : nothing}</li>`)}</ul>`
          : nothing}
      </li>`;
    })}
  </ol>`;
}
