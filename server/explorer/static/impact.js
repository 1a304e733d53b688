// The impact view of a licence, dataset or model version: the datasets and model versions
// downstream of it and the tokens they generated, filtered by depth and kind, with the same
// selection as CSV from `/exports/{id}/impact.csv`.
import { badge, download, gql, h } from "./api.js";
import { kindName, kindPath } from "./graph.js";
import { section, table } from "./records.js";

const TOKEN_PAGE = 100;
const MAX_TOKENS = 2000;
const DEPTHS = [1, 2, 3, 4, 5, 10];
const KINDS = [
  ["modelVersion", "MODEL_VERSION", "Model versions"],
  ["dataset", "DATASET", "Datasets"],
  ["token", "TOKEN", "Tokens"],
];

const DOWNSTREAM = `query($of: String!, $depth: Int) {
  lineage(of: $of, direction: DOWNSTREAM, maxDepth: $depth) {
    nodes { id kind depth record {
      ... on ModelVersion { versionLabel status model { name } }
      ... on Dataset { name version status }
      ... on License { name status } } } } }`;

const TOKENS = `query($d: String, $l: String, $m: String, $after: String) {
  affectedTokens(datasetId: $d, licenseId: $l, modelVersionId: $m, first: ${TOKEN_PAGE}, after: $after) {
    id chainId contract tokenId name provenanceStatus modelVersion { id } } }`;

function nodeName(n) {
  const r = n.record;
  if (n.kind === "MODEL_VERSION") return `${r.model.name} ${r.versionLabel}`;
  if (n.kind === "DATASET") return `${r.name} ${r.version}`;
  return r.name;
}

/** The impact section of record `id` of `kind` (`LICENSE`, `DATASET` or `MODEL_VERSION`). */
export function impactSection(kind, id) {
  const state = { depth: null, kinds: new Set(KINDS.map(([k]) => k)) };
  const depth = h("select", { id: "impact-depth" },
    h("option", { value: "" }, "any depth"),
    DEPTHS.map((d) => h("option", { value: d }, `up to ${d} hop${d > 1 ? "s" : ""}`)));
  const boxes = KINDS.map(([k, , text]) => h("label", {},
    h("input", { type: "checkbox", name: "impact-kind", value: k, checked: true }), ` ${text}`));
  const result = h("div", { id: "impact-result", "aria-live": "polite" });
  const message = h("p", { id: "impact-message", role: "status" });
  const csvButton = h("button", { type: "button", id: "impact-csv" }, "Download CSV");
  const refresh = () => load().catch((e) => { message.textContent = e.message; });
  depth.addEventListener("change", () => { state.depth = depth.value ? Number(depth.value) : null; refresh(); });
  for (const box of boxes) {
    box.querySelector("input").addEventListener("change", (e) => {
      if (e.target.checked) state.kinds.add(e.target.value);
      else state.kinds.delete(e.target.value);
      refresh();
    });
  }
  const csvPath = () => {
    const params = new URLSearchParams();
    if (state.kinds.size && state.kinds.size < KINDS.length) params.set("kinds", [...state.kinds].join(","));
    if (state.depth) params.set("maxDepth", String(state.depth));
    const q = params.toString();
    return `/exports/${id}/impact.csv${q ? `?${q}` : ""}`;
  };
  csvButton.addEventListener("click", async () => {
    message.textContent = "Downloading the CSV…";
    try {
      const bytes = await download(csvPath(), `${id}.impact.csv`);
      message.textContent = `Downloaded ${id}.impact.csv (${bytes} bytes).`;
    } catch (e) {
      message.textContent = e.message;
    }
  });

  async function tokens() {
    const arg = { LICENSE: "l", DATASET: "d", MODEL_VERSION: "m" }[kind];
    const all = [];
    let after = null;
    for (;;) {
      const page = (await gql(TOKENS, { [arg]: id, after })).affectedTokens;
      all.push(...page);
      if (page.length < TOKEN_PAGE || all.length >= MAX_TOKENS) return { all, more: page.length === TOKEN_PAGE };
      after = page[page.length - 1].id;
    }
  }

  async function load() {
    message.textContent = "Loading the impact…";
    const lineage = (await gql(DOWNSTREAM, { of: id, depth: state.depth })).lineage;
    const records = lineage.nodes.filter((n) => n.depth > 0);
    const versionDepth = new Map(lineage.nodes.filter((n) => n.kind === "MODEL_VERSION").map((n) => [n.id, n.depth]));
    const { all, more } = state.kinds.has("token") ? await tokens() : { all: [], more: false };
    const reached = all
      .map((t) => ({ ...t, depth: (versionDepth.get(t.modelVersion.id) ?? Infinity) + 1 }))
      .filter((t) => state.depth === null || t.depth <= state.depth);
    const rows = [];
    for (const n of records) {
      const k = KINDS.find(([, gqlKind]) => gqlKind === n.kind)?.[0] ?? "license";
      if (!state.kinds.has(k)) continue;
      rows.push(h("tr", { dataset: { kind: n.kind, id: n.id } },
        h("td", {}, kindName(n.kind)), h("td", {}, h("a", { href: `#/${kindPath(n.kind)}/${n.id}` }, nodeName(n))),
        h("td", {}, badge(n.record.status)), h("td", {}, n.depth)));
    }
    for (const t of reached) {
      rows.push(h("tr", { dataset: { kind: "TOKEN", id: t.id } },
        h("td", {}, "token"),
        h("td", {}, h("a", { href: `#/token/${t.id}` }, t.name ?? `#${t.tokenId}`),
          h("span", { class: "muted mono" }, ` ${t.chainId}/${t.contract}/${t.tokenId}`)),
        h("td", {}, badge(t.provenanceStatus)), h("td", {}, t.depth)));
    }
    const versions = records.filter((n) => n.kind === "MODEL_VERSION").length;
    result.replaceChildren(
      h("p", { id: "impact-summary" },
        `${versions} model version${versions === 1 ? "" : "s"} and ${reached.length} token${reached.length === 1 ? "" : "s"} ` +
        `downstream${state.depth ? ` within ${state.depth} hop${state.depth > 1 ? "s" : ""}` : ""}` +
        (more ? `; more than ${all.length} tokens: the CSV lists them all.` : ".")),
      rows.length ? table(["Kind", "Record", "Status", "Depth"], rows, "Records and tokens affected")
        : h("p", { class: "muted" }, "Nothing downstream matches the filters."));
    message.textContent = "";
  }

  const root = section("impact", "Impact: what depends on this record",
    h("p", { class: "muted" },
      "Everything that came from this record, at any depth: the datasets derived from it, the model versions " +
      "trained on them or under it and their descendants, and the tokens those versions generated."),
    h("div", { class: "filters" },
      h("label", { for: "impact-depth" }, "Depth "), depth,
      h("fieldset", {}, h("legend", {}, "Kinds"), boxes),
      csvButton),
    message, result);
  root.load = refresh;
  return root;
}
