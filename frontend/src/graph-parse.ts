// Parses the Mermaid source bpo/instance/get sends (engine/graph.py's flowchart TD) into nodes (in
// declaration order = step order) and edges. No Lit here: tests/test_frontend_bundle.py runs it in node
// against every shipped blueprint's graph, so a new shape in engine/graph.py cannot go unnoticed.

export interface GraphNode {
  id: string;
  label: string;
  shape: string;
}
export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  dashed: boolean;
}

const NODE = /^([A-Za-z0-9_]+)\s*([[({/\\>]+)"(.*)"([\])}/\\]+)$/;
const EDGE = /^([A-Za-z0-9_]+)\s+(-->|-\.->)(?:\|"(.*)"\|)?\s*([A-Za-z0-9_]+)$/;
const SHAPES: Record<string, string> = {
  "([": "start",
  "[": "task",
  "{": "choice",
  "((": "end",
  "(((": "end",
  "[[": "action",
  "{{": "wait",
  "[/": "parallel",
  "[\\": "parallel",
  ">": "flag",
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
