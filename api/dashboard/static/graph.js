// A workflow definition drawn as a graph (GET /api/workflows/{name} gives nodes and edges):
// each state machine (the workflow, each parallel branch, each map iterator) is laid out in
// layers from its start state, top to bottom, so it also reads on a phone. Loops (edges back
// to an earlier layer) run up the right side.

import { s, h } from "./ui.js";

const W = 184, H = 46, GX = 28, GY = 46, PAD = 16;

/** The SVG of ``graph``; ``marks``: {visited: Set of node ids, current, failed}. */
export function drawGraph(graph, marks = {}) {
  const visited = marks.visited || new Set();
  const blocks = [];
  for (const machine of graph.machines) {
    const nodes = graph.nodes.filter((n) => n.machine === machine.id);
    if (!nodes.length) continue;
    const ids = new Set(nodes.map((n) => n.id));
    const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
    blocks.push({ machine, ...layout(nodes, edges, machine.startAt) });
  }
  const width = Math.max(...blocks.map((b) => b.width), 200);
  let y = 0;
  const parts = [];
  for (const block of blocks) {
    if (block.machine.id) {
      y += 18;
      parts.push(s("text", { x: PAD, y: y, class: "machine" }, machineTitle(block.machine)));
      y += 6;
    }
    parts.push(s("g", { transform: `translate(0 ${y})` }, drawBlock(block, visited, marks)));
    y += block.height;
  }
  const label = `State graph with ${graph.nodes.length} states` +
    (marks.current ? `; current state ${marks.current}` : "");
  return s("svg", { width, height: y, viewBox: `0 0 ${width} ${y}`, role: "img", "aria-label": label },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
      markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M0 0L10 5L0 10z", fill: "#6e7781" }))),
    parts);
}

function machineTitle(machine) {
  const match = /^(.*)\/(\d+)$/.exec(machine.id);
  return match ? `Branch ${Number(match[2]) + 1} of ${match[1]}` : `Each item of ${machine.id}`;
}

/** Layers by longest path over the graph without its back edges; order by barycentre. */
export function layout(nodes, edges, start) {
  const out = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) out.get(e.from).push(e.to);
  const order = [], state = new Map(), back = new Set();
  const visit = (id) => {
    state.set(id, 1);
    for (const to of out.get(id)) {
      if (state.get(to) === 1) back.add(`${id}>${to}`);
      else if (!state.has(to)) visit(to);
    }
    state.set(id, 2);
    order.push(id);
  };
  if (out.has(start)) visit(start);
  for (const n of nodes) if (!state.has(n.id)) visit(n.id);
  order.reverse();
  const rank = new Map(order.map((id) => [id, 0]));
  for (const id of order) {
    for (const to of out.get(id)) {
      if (!back.has(`${id}>${to}`) && to !== id) rank.set(to, Math.max(rank.get(to), rank.get(id) + 1));
    }
  }
  const layers = [];
  for (const id of order) (layers[rank.get(id)] ||= []).push(id);
  const position = new Map();
  layers.forEach((layer) => layer.forEach((id, i) => position.set(id, i)));
  const preds = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) if (!back.has(`${e.from}>${e.to}`) && e.from !== e.to) preds.get(e.to).push(e.from);
  for (let pass = 0; pass < 3; pass++) {
    for (const layer of layers.slice(1)) {
      const centre = (id) => {
        const p = preds.get(id);
        return p.length ? p.reduce((a, x) => a + position.get(x), 0) / p.length : position.get(id);
      };
      layer.sort((a, b) => centre(a) - centre(b));
      layer.forEach((id, i) => position.set(id, i));
    }
  }
  const widest = Math.max(...layers.map((l) => l.length));
  const width = PAD * 2 + widest * W + (widest - 1) * GX + 40;
  const at = new Map();
  layers.forEach((layer, r) => {
    const offset = (widest - layer.length) * (W + GX) / 2;
    layer.forEach((id, i) => at.set(id, { x: PAD + offset + i * (W + GX), y: PAD + r * (H + GY) }));
  });
  const height = PAD * 2 + layers.length * H + (layers.length - 1) * GY;
  return { nodes, edges, at, back, width, height, rank };
}

function drawBlock(block, visited, marks) {
  const { nodes, edges, at, back, width } = block;
  const parts = [];
  edges.forEach((e, index) => {
    const a = at.get(e.from), b = at.get(e.to);
    let d, lx, ly;
    if (e.from === e.to) {
      d = `M${a.x + W} ${a.y + 12} C${a.x + W + 30} ${a.y} ${a.x + W + 30} ${a.y + H} ${a.x + W} ${a.y + H - 12}`;
      lx = a.x + W + 24; ly = a.y + H / 2;
    } else if (back.has(`${e.from}>${e.to}`) || b.y <= a.y) {
      const side = width - 20 - (index % 3) * 6;
      d = `M${a.x + W} ${a.y + H / 2} C${side} ${a.y + H / 2} ${side} ${b.y + H / 2} ${b.x + W} ${b.y + H / 2}`;
      lx = side - 4; ly = (a.y + b.y) / 2 + H / 2;
    } else {
      const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
      d = `M${x1} ${y1} C${x1} ${y1 + GY / 2} ${x2} ${y2 - GY / 2} ${x2} ${y2}`;
      lx = (x1 + x2) / 2 + 4; ly = (y1 + y2) / 2;
    }
    parts.push(s("path", { d, class: `edge ${e.kind}`, "marker-end": "url(#arrow)" }));
    if (e.kind !== "next") parts.push(s("text", { x: lx, y: ly, class: "label" }, e.kind));
  });
  for (const n of nodes) {
    const p = at.get(n.id);
    const cls = n.id === marks.current ? "current" : n.id === marks.failed ? "failed"
      : visited.has(n.id) ? "visited" : "";
    const detail = n.activity || n.event || n.workflow || n.entity || "";
    parts.push(s("g", { class: `node ${cls}`, "data-state": n.id, transform: `translate(${p.x} ${p.y})` },
      s("title", {}, `${n.id} (${n.type})${detail ? `: ${detail}` : ""}${cls ? ` — ${cls}` : ""}`),
      s("rect", { width: W, height: H, rx: n.end ? 20 : 6 }),
      s("text", { x: 10, y: 19 }, clip(n.name, 24)),
      s("text", { x: 10, y: 36, class: "kind" }, clip(detail ? `${n.type} · ${detail}` : n.type, 30))));
  }
  return parts;
}

function clip(text, n) {
  const value = String(text ?? "");
  return value.length > n ? `${value.slice(0, n - 1)}…` : value;
}

export function legend() {
  return h("div", { class: "legend" }, h("span", { class: "l-current" }, "current state"),
    h("span", { class: "l-visited" }, "visited"), h("span", { class: "l-other" }, "not reached"));
}
