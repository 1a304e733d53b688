// The lineage graph: opens on the record and its direct neighbours (one hop up and down),
// grows one hop per expanded record up to a depth limit, draws at most PAGE_SIZE new
// neighbours of a record at a time (a "more" node holds the rest), and colours revoked,
// withdrawn, deprecated and affected records. A list beside the canvas holds the same
// records, with links and buttons, for keyboards and screen readers.
import { badge, gql, h } from "./api.js";

export const PAGE_SIZE = 25;
const DEPTH_LIMITS = [1, 2, 3, 4, 5, 6, 8, 10];
const NOT_ACTIVE = new Set(["revoked", "withdrawn", "deprecated"]);

const NEIGHBOURS = `query($of: String!, $dir: LineageDirection!) {
  lineage(of: $of, direction: $dir, maxDepth: 1) {
    nodes { id kind depth record {
      ... on ModelVersion { versionLabel status model { name } }
      ... on Dataset { name version status }
      ... on License { name status } } }
    edges { from to kind role } } }`;

/** The explorer's page path of a lineage record kind (`MODEL_VERSION` → `model-version`). */
export function kindPath(kind) {
  return { MODEL_VERSION: "model-version", DATASET: "dataset", LICENSE: "license", TOKEN: "token" }[kind] ?? "record";
}

export function kindName(kind) {
  return { MODEL_VERSION: "model version", DATASET: "dataset", LICENSE: "licence", TOKEN: "token" }[kind] ?? kind;
}

function label(node) {
  const r = node.record ?? {};
  if (node.kind === "MODEL_VERSION") return `${r.model?.name ?? "model"} ${r.versionLabel ?? ""}`.trim();
  if (node.kind === "DATASET") return `${r.name} ${r.version ?? ""}`.trim();
  return r.name ?? node.id;
}

function edgeLabel(edge) {
  const kind = edge.kind.toLowerCase().replaceAll("_", " ");
  return edge.role ? `${kind} (${edge.role.toLowerCase()})` : kind;
}

const STYLE = [
  {
    selector: "node",
    style: {
      label: "data(label)", "font-size": 11, "text-wrap": "wrap", "text-max-width": 120, "text-valign": "center",
      width: 132, height: 42, shape: "round-rectangle", "background-color": "#e8eef6", color: "#1b1f24",
      "border-width": 2, "border-color": "#6b7480",
    },
  },
  { selector: "node[kind = 'DATASET']", style: { shape: "ellipse", "background-color": "#e6f2ec" } },
  { selector: "node[kind = 'LICENSE']", style: { shape: "hexagon", "background-color": "#f6efe3" } },
  { selector: "node[?affected]", style: { "border-color": "#7c3aed", "border-style": "dashed", "border-width": 3 } },
  { selector: "node[status = 'deprecated']", style: { "border-color": "#b45309", "border-width": 3 } },
  {
    selector: "node[status = 'revoked'], node[status = 'withdrawn']",
    style: { "border-color": "#b91c1c", "border-width": 4, "background-color": "#fde3e1" },
  },
  { selector: "node[?focus]", style: { "font-weight": "bold", "border-width": 5 } },
  {
    selector: "node[kind = 'MORE']",
    style: { shape: "round-rectangle", "background-color": "#ffffff", "border-style": "dotted", color: "#0b57a4" },
  },
  { selector: "node:selected", style: { "overlay-color": "#c2410c", "overlay-opacity": 0.2 } },
  {
    selector: "edge",
    style: {
      width: 1.5, "line-color": "#8a939e", "target-arrow-color": "#8a939e", "target-arrow-shape": "triangle",
      "curve-style": "bezier", label: "data(label)", "font-size": 9, color: "#4d5561", "text-rotation": "autorotate",
      "text-background-color": "#ffffff", "text-background-opacity": 0.85,
    },
  },
];

export class LineageGraph {
  /** `root`: the element to draw into; `focus`: `{ id, kind, label, status }` of the page's record. */
  constructor(root, focus) {
    this.root = root;
    this.focusId = focus.id;
    this.depthLimit = 3;
    this.nodes = new Map([[focus.id, { ...focus, hop: 0, expanded: false }]]);
    this.edges = new Map();
    this.pending = new Map(); // record ID → neighbours not drawn yet
    this.cy = null;
    this.build();
  }

  build() {
    const limit = h(
      "select",
      { id: "depth-limit", onchange: (e) => { this.depthLimit = Number(e.target.value); this.render(); } },
      DEPTH_LIMITS.map((d) => h("option", { value: d, selected: d === this.depthLimit }, `${d} hop${d > 1 ? "s" : ""}`)),
    );
    this.summary = h("p", { class: "muted", id: "graph-summary", "aria-live": "polite" });
    this.message = h("p", { id: "graph-message", role: "status" });
    this.canvas = h("div", {
      class: "graph-canvas", id: "graph-canvas", role: "img",
      "aria-label": "Lineage graph; the list beside it holds the same records, with links and expand buttons",
    });
    this.list = h("ul", { class: "graph-list", id: "graph-list", "aria-label": "Records in the graph" });
    const legend = h("div", { class: "legend", "aria-label": "Legend" },
      "Borders:", badge("REVOKED"), badge("WITHDRAWN"), badge("DEPRECATED"),
      h("span", { class: "badge status-affected" }, "affected"),
      h("span", { class: "muted" }, "(a record it came from, among those drawn, is not active; each record's own page checks every depth)."),
      h("span", { class: "muted" }, "Arrows point to what a record came from."));
    this.root.replaceChildren(
      h("div", { class: "graph-toolbar" },
        h("label", { for: "depth-limit" }, "Depth limit "), limit,
        h("button", { type: "button", class: "secondary", onclick: () => this.fit() }, "Fit to view")),
      legend, this.summary, this.message,
      h("div", { class: "graph-layout" }, this.canvas, this.list),
    );
    if (typeof window.cytoscape !== "function") {
      this.canvas.replaceChildren(h("div", { class: "error-box", id: "graph-missing" },
        "The graph library is not installed on this server (run scripts/dev, or npm ci in server/explorer); " +
        "the records of the lineage are listed instead."));
      return;
    }
    if (typeof window.cytoscapeDagre === "function" && !window.cytoscape.__provregDagre) {
      window.cytoscape.use(window.cytoscapeDagre);
      window.cytoscape.__provregDagre = true;
    }
    this.cy = window.cytoscape({
      container: this.canvas, style: STYLE, minZoom: 0.2, maxZoom: 3, wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
    });
    // For scripts and the browser test: what the canvas draws, as Cytoscape holds it.
    this.canvas.cytoscape = this.cy;
    this.cy.on("tap", "node", (e) => {
      const id = e.target.id();
      if (id.startsWith("more:")) this.showMore(id.slice(5));
      else this.expand(id).catch((err) => this.say(err.message));
    });
  }

  say(text) {
    this.message.textContent = text;
  }

  /** Loads the focus record's neighbours: the graph as it opens. */
  async start() {
    await this.expand(this.focusId);
  }

  /** Adds the direct neighbours (up and down) of `id`, a page at a time. */
  async expand(id) {
    const node = this.nodes.get(id);
    if (!node || node.expanded) return;
    if (node.hop >= this.depthLimit) {
      this.say(`${node.label} is ${node.hop} hops from the record, the depth limit: raise the limit to expand it.`);
      return;
    }
    // Marked at once, so a second click while the first one loads does not load it again.
    node.expanded = true;
    this.say(`Loading the neighbours of ${node.label}…`);
    let up, down;
    try {
      [up, down] = await Promise.all(
        ["UPSTREAM", "DOWNSTREAM"].map((dir) => gql(NEIGHBOURS, { of: id, dir }).then((d) => d.lineage)),
      );
    } catch (e) {
      node.expanded = false;
      throw e;
    }
    for (const e of [...up.edges, ...down.edges]) this.edges.set(`${e.from}>${e.to}>${e.kind}`, e);
    const fresh = [];
    for (const n of [...up.nodes, ...down.nodes]) {
      if (n.depth !== 1 || this.nodes.has(n.id) || fresh.some((f) => f.id === n.id)) continue;
      fresh.push({ id: n.id, kind: n.kind, label: label(n), status: n.record.status.toLowerCase(), hop: node.hop + 1 });
    }
    this.pending.set(id, [...fresh]);
    const added = this.showMore(id, false);
    const left = fresh.length - added;
    this.say(fresh.length
      ? `${node.label}: ${added} neighbour${added === 1 ? "" : "s"} added${left ? `, ${left} more to show` : ""}.`
      : `${node.label} has no other neighbours.`);
  }

  /** Draws the next page of `id`'s neighbours; returns how many were added. */
  showMore(id, announce = true) {
    const rest = this.pending.get(id) ?? [];
    const page = rest.splice(0, PAGE_SIZE);
    for (const n of page) this.nodes.set(n.id, { ...n, expanded: false });
    if (!rest.length) this.pending.delete(id);
    this.render();
    if (announce) this.say(`${page.length} more neighbours of ${this.nodes.get(id)?.label} drawn.`);
    return page.length;
  }

  /** Records whose lineage, as drawn, reaches a record that is not active. */
  affected() {
    const out = new Map();
    for (const e of this.edges.values()) {
      if (this.nodes.has(e.from) && this.nodes.has(e.to)) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
    }
    const hit = new Set();
    const reaches = (id, seen) => {
      for (const next of out.get(id) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        if (NOT_ACTIVE.has(this.nodes.get(next)?.status) || reaches(next, seen)) return true;
      }
      return false;
    };
    for (const id of this.nodes.keys()) if (!NOT_ACTIVE.has(this.nodes.get(id).status) && reaches(id, new Set())) hit.add(id);
    return hit;
  }

  render() {
    const affected = this.affected();
    const visible = [...this.nodes.values()];
    const edges = [...this.edges.values()].filter((e) => this.nodes.has(e.from) && this.nodes.has(e.to));
    const more = [...this.pending.entries()].filter(([, rest]) => rest.length);
    const hidden = more.reduce((n, [, rest]) => n + rest.length, 0);
    this.canvas.dataset.nodeCount = String(visible.length);
    this.canvas.dataset.edgeCount = String(edges.length);
    this.summary.textContent = `${visible.length} records and ${edges.length} links drawn` +
      (hidden ? `, ${hidden} more not drawn yet` : "") +
      `; depth limit ${this.depthLimit} hop${this.depthLimit > 1 ? "s" : ""} from ${this.nodes.get(this.focusId).label}` +
      " (select a record to expand it).";
    this.renderList(visible, affected, more);
    if (!this.cy) return;
    const elements = [
      ...visible.map((n) => ({
        group: "nodes",
        data: { id: n.id, label: n.label, kind: n.kind, status: n.status, affected: affected.has(n.id), focus: n.id === this.focusId },
      })),
      ...edges.map((e) => ({
        group: "edges", data: { id: `${e.from}>${e.to}>${e.kind}`, source: e.from, target: e.to, label: edgeLabel(e) },
      })),
      ...more.flatMap(([id, rest]) => [
        { group: "nodes", data: { id: `more:${id}`, label: `+${rest.length} more`, kind: "MORE" } },
        { group: "edges", data: { id: `more-edge:${id}`, source: `more:${id}`, target: id, label: "" } },
      ]),
    ];
    this.cy.elements().remove();
    this.cy.add(elements);
    const dagre = typeof window.cytoscapeDagre === "function";
    this.cy.layout(dagre
      ? { name: "dagre", rankDir: "BT", nodeSep: 24, rankSep: 70, fit: true, padding: 24, animate: false }
      : { name: "breadthfirst", directed: true, fit: true, padding: 24, animate: false }).run();
  }

  renderList(visible, affected, more) {
    const order = [...visible].sort((a, b) => a.hop - b.hop || a.kind.localeCompare(b.kind) || a.label.localeCompare(b.label));
    const items = order.map((n) => {
      const atLimit = n.hop >= this.depthLimit;
      const text = n.expanded ? "Expanded" : atLimit ? "At depth limit" : "Expand";
      const expand = h("button", {
        type: "button", class: "secondary", disabled: n.expanded || atLimit,
        "aria-label": `${text}: ${n.label}`, onclick: () => this.expand(n.id).catch((e) => this.say(e.message)),
      }, text);
      return h("li", {
        class: n.id === this.focusId ? "focus" : "",
        dataset: { id: n.id, kind: n.kind, status: n.status, affected: String(affected.has(n.id)) },
      },
      h("div", { class: "what" },
        h("a", { href: `#/${kindPath(n.kind)}/${n.id}` }, n.label), " ",
        badge(n.status.toUpperCase()), affected.has(n.id) ? [" ", badge("affected")] : null,
        h("div", { class: "muted" }, `${kindName(n.kind)} · ${n.hop === 0 ? "this record" : `${n.hop} hop${n.hop > 1 ? "s" : ""} away`}`)),
      expand);
    });
    for (const [id, rest] of more) {
      items.push(h("li", { dataset: { more: id } },
        h("button", { type: "button", onclick: () => this.showMore(id) },
          `Show ${Math.min(rest.length, PAGE_SIZE)} more of ${rest.length} neighbours of ${this.nodes.get(id).label}`)));
    }
    this.list.replaceChildren(...items);
  }

  fit() {
    this.cy?.fit(undefined, 24);
  }
}
