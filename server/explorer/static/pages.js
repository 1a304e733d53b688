// The pages: home, search results, and one page per licence, dataset, model version and token.
import { badge, download, gql, h } from "./api.js";
import { LineageGraph, kindPath } from "./graph.js";
import { impactSection } from "./impact.js";
import { CERTIFICATE, LOG_ENTRY, STATUS_EVENT, certificate, fields, header, logEntry, section, statusHistory, table, when } from "./records.js";

const RECORD_FRAGMENTS = `${CERTIFICATE} ${LOG_ENTRY} ${STATUS_EVENT}`;

function link(kind, id, text) {
  return h("a", { href: `#/${kind}/${id}` }, text);
}

/** A registrant's URI: a link only when it is a web address, else its text. */
function externalLink(uri) {
  return /^https?:\/\//i.test(uri) ? h("a", { href: uri, rel: "noopener noreferrer" }, uri) : h("span", { class: "mono" }, uri);
}

function json(value) {
  return value === null || value === undefined ? null : h("code", {}, JSON.stringify(value));
}

/** The graph section, started once it is in the page. */
function graphSection(focus) {
  const root = h("div");
  const el = section("lineage", "Lineage", h("p", { class: "muted" },
    "Opens on the record and its direct neighbours. Expand a record to add its own; the depth limit caps how far from this record it goes."), root);
  el.start = () => new LineageGraph(root, focus).start();
  return el;
}

const UPSTREAM = `query($of: String!) { lineage(of: $of, direction: UPSTREAM) {
  nodes { id kind depth record {
    ... on ModelVersion { versionLabel status model { name } }
    ... on Dataset { name version status }
    ... on License { name status } } } } }`;

function recordName(n) {
  const r = n.record;
  if (n.kind === "MODEL_VERSION") return `${r.model.name} ${r.versionLabel}`;
  if (n.kind === "DATASET") return `${r.name} ${r.version}`;
  return r.name;
}

/**
 * What the record came from that is not active, at any depth: the record is then affected.
 * Marks the page's header and lists them; `names` (record ID → name) is filled for the page.
 */
function upstreamSection(id, names = new Map()) {
  const body = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Checking the records upstream…"));
  const el = section("upstream", "Upstream status", body);
  el.start = async () => {
    const nodes = (await gql(UPSTREAM, { of: id })).lineage.nodes.filter((n) => n.depth > 0);
    for (const n of nodes) names.set(n.id, recordName(n));
    const bad = nodes.filter((n) => n.record.status !== "ACTIVE");
    if (!bad.length) {
      body.replaceChildren(h("p", {}, `All ${nodes.length} records it came from are active.`));
      return;
    }
    document.getElementById("record-status")?.append(" ", badge("affected"));
    body.replaceChildren(
      h("p", {}, `Affected: ${bad.length} of the ${nodes.length} records it came from ${bad.length === 1 ? "is" : "are"} not active.`),
      h("ul", { id: "upstream-problems" }, bad.map((n) => h("li", {}, badge(n.record.status), " ",
        link(kindPath(n.kind), n.id, recordName(n)), h("span", { class: "muted" }, ` (${n.depth} hop${n.depth > 1 ? "s" : ""} up)`)))));
  };
  return el;
}

export async function home() {
  const data = await gql(`{
    licenses(first: 100) { nodes { id name status aiTraining } }
    datasets(first: 100) { nodes { id name version status } }
    modelVersions(first: 100) { nodes { id versionLabel status model { name } } } }`);
  const list = (id, title, items) => section(id, title, items.length
    ? h("ul", {}, items) : h("p", { class: "muted" }, "None registered."));
  return [
    h("h1", {}, "Provenance explorer"),
    h("p", {}, "Search by name, record ID or SHA-256 digest above, or start from a record below. " +
      "Each record's page shows its fields, status history, birth certificate, log entry and anchor, its lineage as a graph you can expand, and what it affects."),
    list("model-versions", "Model versions", data.modelVersions.nodes.map((v) =>
      h("li", {}, link("model-version", v.id, `${v.model.name} ${v.versionLabel}`), " ", badge(v.status)))),
    list("datasets", "Datasets", data.datasets.nodes.map((d) =>
      h("li", {}, link("dataset", d.id, `${d.name} ${d.version}`), " ", badge(d.status)))),
    list("licenses", "Licences", data.licenses.nodes.map((l) =>
      h("li", {}, link("license", l.id, l.name), " ", badge(l.status), h("span", { class: "muted" }, ` AI training: ${l.aiTraining}`)))),
  ];
}

const HIT_PAGES = { license: "license", dataset: "dataset", modelVersion: "model-version", token: "token", circuit: "circuit" };

export async function search(text) {
  const { search: hits } = await gql("query($t: String!) { search(text: $t, first: 50) { kind id title matched digest } }", { t: text });
  const rows = hits.map((hit) => h("tr", { dataset: { kind: hit.kind, id: hit.id } },
    h("td", {}, hit.kind),
    h("td", {}, HIT_PAGES[hit.kind] ? link(HIT_PAGES[hit.kind], hit.id, hit.title) : hit.title),
    h("td", {}, hit.matched),
    h("td", { class: "mono" }, hit.digest.slice(0, 16) + "…")));
  return [
    h("h1", {}, `Search: ${text}`),
    h("p", { id: "search-count" }, `${hits.length} record${hits.length === 1 ? "" : "s"} found.`),
    rows.length ? table(["Kind", "Record", "Matched", "Digest"], rows, "Search results") : h("p", {}, "Nothing matches."),
  ];
}

export async function license(id) {
  const { license: l } = await gql(`query($id: String!) { license(id: $id) {
    id name spdxId custom { summary termsUri termsSha256 } commercialUse derivatives attribution aiTraining
    aiTrainingConstraints expiresAt status statusHistory { ...Event } digest createdAt
    certificate { ...Cert } logEntry { ...Log } } } ${RECORD_FRAGMENTS}`, { id });
  if (!l) return notFound("licence", id);
  const graph = graphSection({ id: l.id, kind: "LICENSE", label: l.name, status: l.status.toLowerCase() });
  const impact = impactSection("LICENSE", l.id);
  return { nodes: [
    header("Licence", l.name, l.status),
    graph,
    section("fields", "Record", fields([
      ["ID", l.id, { mono: true }], ["SPDX", l.spdxId], ["Custom terms", l.custom?.summary],
      ["Terms", l.custom ? externalLink(l.custom.termsUri) : null],
      ["AI training", l.aiTraining], ["AI training constraints", l.aiTrainingConstraints],
      ["Commercial use", l.commercialUse ? "allowed" : "not allowed"], ["Derivatives", l.derivatives],
      ["Attribution", l.attribution ? "required" : "not required"], ["Expires", when(l.expiresAt)],
      ["Digest", l.digest, { mono: true }], ["Registered", when(l.createdAt)],
    ])),
    statusHistory(l.statusHistory), impact, certificate(l.certificate), logEntry(l.logEntry),
  ], start: [graph.start, impact.load] };
}

export async function dataset(id) {
  const { dataset: d } = await gql(`query($id: String!) { dataset(id: $id) {
    id name version uri contentSha256 recordCount collectionPeriod { start end } description
    source { category modalities crawlers topDomains generatedBy tdmReservations { honoured measures } }
    license { id name status } derivedFrom { id name version status }
    status statusHistory { ...Event } digest createdAt certificate { ...Cert } logEntry { ...Log } } } ${RECORD_FRAGMENTS}`, { id });
  if (!d) return notFound("dataset", id);
  const graph = graphSection({ id: d.id, kind: "DATASET", label: `${d.name} ${d.version}`, status: d.status.toLowerCase() });
  const impact = impactSection("DATASET", d.id);
  const upstream = upstreamSection(d.id);
  return { nodes: [
    header("Dataset", `${d.name} ${d.version}`, d.status),
    graph,
    section("fields", "Record", fields([
      ["ID", d.id, { mono: true }], ["URI", d.uri, { mono: true }], ["Content SHA-256", d.contentSha256, { mono: true }],
      ["Records", d.recordCount], ["Collected", `${d.collectionPeriod.start} to ${d.collectionPeriod.end}`],
      ["Description", d.description],
      ["Licence", h("span", {}, link("license", d.license.id, d.license.name), " ", badge(d.license.status))],
      ["Derived from", d.derivedFrom.length ? h("ul", {}, d.derivedFrom.map((p) =>
        h("li", {}, link("dataset", p.id, `${p.name} ${p.version}`), " ", badge(p.status)))) : null],
      ["Source", d.source?.category], ["Modalities", d.source?.modalities?.join(", ")],
      ["Crawlers", d.source?.crawlers?.join(", ")], ["Top domains", d.source?.topDomains?.join(", ")],
      ["Generated by", d.source?.generatedBy],
      ["TDM reservations", d.source?.tdmReservations
        ? `${d.source.tdmReservations.honoured ? "honoured" : "not honoured"}${d.source.tdmReservations.measures ? `: ${d.source.tdmReservations.measures}` : ""}`
        : null],
      ["Digest", d.digest, { mono: true }], ["Registered", when(d.createdAt)],
    ])),
    upstream, statusHistory(d.statusHistory), impact, certificate(d.certificate), logEntry(d.logEntry),
  ], start: [graph.start, upstream.start, impact.load] };
}

export async function modelVersion(id) {
  const { modelVersion: v } = await gql(`query($id: String!) { modelVersion(id: $id) {
    id versionLabel weightsSha256 architecture hyperParameters model { name }
    trainingRun { id startedAt endedAt compute } license { id name status }
    parent { id versionLabel status } parentRelation children { id versionLabel status }
    trainingData { role dataset { id name version status } }
    circuit { id proofSystem systemVersion commitment boundToWeights renderer { name version } }
    tokens(first: 50) { id tokenId name provenanceStatus }
    status statusHistory { ...Event } digest createdAt certificate { ...Cert } logEntry { ...Log } } } ${RECORD_FRAGMENTS}`, { id });
  if (!v) return notFound("model version", id);
  const title = `${v.model.name} ${v.versionLabel}`;
  const graph = graphSection({ id: v.id, kind: "MODEL_VERSION", label: title, status: v.status.toLowerCase() });
  const impact = impactSection("MODEL_VERSION", v.id);
  const upstream = upstreamSection(v.id);
  const versionLink = (p) => h("span", {}, link("model-version", p.id, `${v.model.name} ${p.versionLabel}`), " ", badge(p.status));
  return { nodes: [
    header("Model version", title, v.status),
    graph,
    section("fields", "Record", fields([
      ["ID", v.id, { mono: true }], ["Weights SHA-256", v.weightsSha256, { mono: true }], ["Architecture", v.architecture],
      ["Hyper-parameters", json(v.hyperParameters)],
      ["Training run", `${v.trainingRun.id}: ${v.trainingRun.startedAt} to ${v.trainingRun.endedAt}${v.trainingRun.compute ? ` (${v.trainingRun.compute})` : ""}`],
      ["Licence", h("span", {}, link("license", v.license.id, v.license.name), " ", badge(v.license.status))],
      ["Parent", v.parent ? h("span", {}, versionLink(v.parent), ` (${v.parentRelation?.toLowerCase()})`) : null],
      ["Children", v.children.length ? h("ul", {}, v.children.map((c) => h("li", {}, versionLink(c)))) : null],
      ["Training data", v.trainingData.length ? h("ul", {}, v.trainingData.map((t) => h("li", {},
        link("dataset", t.dataset.id, `${t.dataset.name} ${t.dataset.version}`), ` (${t.role.toLowerCase()}) `, badge(t.dataset.status)))) : null],
      ["Circuit", v.circuit ? `${v.circuit.proofSystem} ${v.circuit.systemVersion}, commitment ${v.circuit.commitment}` +
        (v.circuit.renderer ? `, renderer ${v.circuit.renderer.name} v${v.circuit.renderer.version}` : "") +
        (v.circuit.boundToWeights ? ", key derived from the weights" : "") : null],
      ["Tokens", v.tokens.length ? h("ul", {}, v.tokens.map((t) => h("li", {},
        link("token", t.id, t.name ?? `#${t.tokenId}`), " ", badge(t.provenanceStatus)))) : null],
      ["Digest", v.digest, { mono: true }], ["Registered", when(v.createdAt)],
    ])),
    upstream, statusHistory(v.statusHistory), impact, certificate(v.certificate), logEntry(v.logEntry),
  ], start: [graph.start, upstream.start, impact.load] };
}

export async function circuit(id) {
  const { circuit: c } = await gql("query($id: String!) { circuit(id: $id) { modelVersion { id } } }", { id });
  if (!c) return notFound("circuit", id);
  location.replace(`#/model-version/${c.modelVersion.id}`);
  return [];
}

function seedRows(s) {
  return [
    ["Seed source", h("span", { id: "seed-source" }, s.kind, " ", s.verified ? badge("verified") : h("span", { class: "badge status-deprecated" }, "unverified"))],
    ["Recorded as", s.recordedKind],
    ["Commitment", s.commitId !== null && s.commitId !== undefined ? `#${s.commitId}: tokens from ${s.firstTokenId}, ${s.count} of them, block ${s.commitBlock}` : null],
    ["Commitment transaction", s.commitTx, { mono: true }],
    ["Randomness block", s.randomnessBlock], ["Randomness", s.randomness, { mono: true }],
    ["Reveal transaction", s.revealTx, { mono: true }],
    ["Beacon round", s.round], ["Local development beacon", s.localBeacon ? "yes: its seeds prove nothing" : null],
  ];
}

/** The exact command that checks the token's evidence bundle once downloaded as `file`. */
export function verifyCommand(t, file) {
  const anchor = t.logEntry?.anchor;
  const rpc = t.chainId === 31337 ? "http://127.0.0.1:8545" : `<RPC URL of chain ${t.chainId}>`;
  const parts = ["provreg verify", file, `--token ${t.chainId}/${t.contract}/${t.tokenId}`, "--trust ca.pem"];
  // The chain can only confirm what is anchored: before that, the check runs offline.
  if (anchor?.contract) parts.push(`--rpc ${rpc}`, `--contract ${anchor.contract}`);
  return parts.join(" ");
}

export async function token(id) {
  const { tokenById: t } = await gql(`query($id: String!) { tokenById(id: $id) {
    id chainId contract tokenId name assetSha256 mediaType inputSeed traits digest createdAt metadataPath assetPath
    provenanceStatus affectedBy { id subjectKind subjectId status reason createdAt }
    modelVersion { id versionLabel status model { name } }
    circuit { id proofSystem systemVersion commitment renderer { name version } }
    collection { name symbol address }
    onChain { txHash blockNumber owner }
    seedSource { kind verified recordedKind commitId firstTokenId count commitBlock commitTx randomnessBlock randomness revealTx round localBeacon }
    assetDerivation { derivedFromProof renderer { name version } }
    proofRecord { id system systemVersion modelCommitment vkSha256 settingsSha256 digest verifiedAt publicInputs publicOutputs }
    certificate { ...Cert } logEntry { ...Log } } } ${CERTIFICATE} ${LOG_ENTRY}`, { id });
  if (!t) return notFound("token", id);
  const v = t.modelVersion;
  const title = t.name ?? `Token ${t.tokenId}`;
  const file = `evidence-${t.chainId}-${t.contract}-${t.tokenId}.json`;
  const evidencePath = `/tokens/${t.chainId}/${t.contract}/${t.tokenId}/evidence`;
  const message = h("p", { id: "evidence-message", role: "status" });
  const evidence = h("button", { type: "button", id: "evidence-download", onclick: async () => {
    message.textContent = "Building the evidence bundle…";
    try {
      const bytes = await download(evidencePath, file);
      message.textContent = `Downloaded ${file} (${bytes} bytes).`;
    } catch (e) {
      message.textContent = e.message;
    }
  } }, "Download evidence bundle");
  const image = t.assetPath && t.mediaType.startsWith("image/")
    ? h("img", { class: "token-image", id: "token-image", src: t.assetPath, alt: `${title}: the token's image, with its birth certificate embedded`, width: 192, height: 192 })
    : h("p", { class: "muted", id: "token-image" }, `No image uploaded (${t.mediaType}, SHA-256 ${t.assetSha256}).`);
  const graph = graphSection({ id: v.id, kind: "MODEL_VERSION", label: `${v.model.name} ${v.versionLabel}`, status: v.status.toLowerCase() });
  const p = t.proofRecord;
  // The records that affect the token, by name: they are upstream of its model version.
  const nameSubjects = async () => {
    if (!t.affectedBy.length) return;
    const names = new Map((await gql(UPSTREAM, { of: v.id })).lineage.nodes.map((n) => [n.id, recordName(n)]));
    for (const a of document.querySelectorAll("#affected a[data-subject]")) {
      if (names.has(a.dataset.subject)) a.textContent = names.get(a.dataset.subject);
    }
  };
  return { nodes: [
    header("Token", title, t.provenanceStatus),
    h("div", { class: "token-head" }, image, fields([
      ["Token", `${t.chainId} / ${t.contract} / ${t.tokenId}`, { mono: true }],
      ["Model version", h("span", {}, link("model-version", v.id, `${v.model.name} ${v.versionLabel}`), " ", badge(v.status))],
      ["Collection", t.collection ? `${t.collection.name} (${t.collection.symbol}) at ${t.collection.address}` : "not a recorded collection (off chain)"],
      ["Traits", h("code", { id: "token-traits" }, t.traits.map((x) => Number(x.toFixed(6))).join(", "))],
      ["Asset", t.assetDerivation.derivedFromProof
        ? `drawn by ${t.assetDerivation.renderer.name} v${t.assetDerivation.renderer.version} from the proven traits`
        : "accepted by its hash only"],
      ["Asset SHA-256", t.assetSha256, { mono: true }],
      ["Metadata", h("a", { href: t.metadataPath }, t.metadataPath)],
    ])),
    t.affectedBy.length ? section("affected", "Affected by", h("ul", {}, t.affectedBy.map((e) => h("li", {},
      badge(e.status), " ", e.subjectKind, " ",
      h("a", { href: `#/${{ modelVersion: "model-version", dataset: "dataset", license: "license" }[e.subjectKind]}/${e.subjectId}`, dataset: { subject: e.subjectId } }, e.subjectId),
      `: ${e.reason} (`, when(e.createdAt), ")")))) : null,
    section("evidence", "Verify it yourself",
      h("p", {}, "Download the evidence bundle and check it offline, trusting only the signing CA, the hashes and the chain:"),
      h("div", { class: "actions" }, evidence), message,
      h("pre", { class: "command", id: "verify-command", tabindex: 0, "aria-label": "The verify command" }, verifyCommand(t, file)),
      h("p", { class: "muted" }, "ca.pem is the registry's signing CA (provreg-data/ca/ca.pem with scripts/dev). " +
        (t.logEntry?.anchor?.contract
          ? "The --contract address is the anchor contract as this registry reports it: check it against the address you know from elsewhere. "
          : "The token is not anchored yet, so the command checks it offline and reports it UNCONFIRMED; once it is anchored, this page adds --rpc and --contract for the on-chain checks. ") +
        "The standalone provreg-verify takes the same arguments.")),
    section("seed", "Seed and chain", fields([
      ["Input seed", t.inputSeed, { mono: true }], ...seedRows(t.seedSource),
      ["Mint transaction", t.onChain?.txHash, { mono: true }], ["Mint block", t.onChain?.blockNumber],
      ["Owner at registration", t.onChain?.owner, { mono: true }],
    ])),
    section("proof", "Proof record", fields([
      ["ID", p.id, { mono: true }], ["System", `${p.system} ${p.systemVersion}`],
      ["Circuit", `${t.circuit.proofSystem} ${t.circuit.systemVersion}, commitment ${t.circuit.commitment}`],
      ["Model commitment", p.modelCommitment, { mono: true }], ["Verifying key SHA-256", p.vkSha256, { mono: true }],
      ["Settings SHA-256", p.settingsSha256, { mono: true }], ["Digest", p.digest, { mono: true }],
      ["Verified", when(p.verifiedAt)], ["Public inputs", `${p.publicInputs.length} field elements`],
      ["Public outputs", `${p.publicOutputs.length} field elements`],
    ])),
    graph, certificate(t.certificate), logEntry(t.logEntry),
  ], start: [graph.start, nameSubjects] };
}

function notFound(kind, id) {
  return [h("h1", {}, "Not found"), h("p", { class: "error-box" }, `No ${kind} with ID ${id} is registered.`)];
}
