// What every record page shows: fields, status history, birth certificate and log entry with
// its anchor. The queries ask for exactly what the pages draw (schema/audit.graphql).
import { badge, h } from "./api.js";

export const CERTIFICATE = `fragment Cert on Certificate {
  id digest signer signerFingerprint format boundSha256 issuedAt downloadPath validation { state errors dataHashChecked } }`;
export const LOG_ENTRY = `fragment Log on LogEntry {
  seq recordKind recordDigest certificateDigest leaf createdAt
  anchor { status chainId contract batchId firstSeq size root commitment txHash blockNumber confirmedAt lastError } }`;
export const STATUS_EVENT = `fragment Event on StatusEvent {
  id status reason digest createdAt logEntry { seq anchor { status txHash } } }`;

/** A definition list of `[name, value, { mono }]` rows; rows with an empty value are left out. */
export function fields(rows) {
  const dl = h("dl", { class: "fields" });
  for (const [name, value, opts] of rows) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(h("dt", {}, name), h("dd", { class: opts?.mono ? "mono" : "" }, value));
  }
  return dl;
}

export function section(id, title, ...content) {
  return h("section", { id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...content);
}

export function when(time) {
  if (!time) return null;
  const d = new Date(time);
  return h("time", { datetime: time }, Number.isNaN(d.valueOf()) ? time : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"));
}

export function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows)));
}

export function statusHistory(events) {
  if (!events?.length) {
    return section("history", "Status and history", h("p", { class: "muted" }, "No status events: active as registered."));
  }
  const rows = events.map((e) => h("tr", {},
    h("td", {}, badge(e.status)), h("td", {}, e.reason), h("td", {}, when(e.createdAt)),
    h("td", {}, e.logEntry?.seq ?? "not batched yet"),
    h("td", {}, e.logEntry?.anchor ? badge(e.logEntry.anchor.status) : "not anchored yet")));
  return section("history", "Status and history",
    table(["Status", "Reason", "Since", "Log seq", "Anchor"], rows, "Status events, oldest first"));
}

export function certificate(cert) {
  if (!cert) return section("certificate", "Birth certificate", h("p", { class: "muted" }, "No certificate was issued."));
  const v = cert.validation;
  return section("certificate", "Birth certificate (C2PA)",
    fields([
      ["Validation", h("span", { id: "certificate-state" }, badge(v.state),
        v.errors.length ? h("ul", {}, v.errors.map((e) => h("li", {}, e))) : null)],
      ["Data hash", v.dataHashChecked ? "checked" : "not checked here: validate the downloaded .c2pa beside the asset"],
      ["Signer", cert.signer],
      ["Signer fingerprint", cert.signerFingerprint, { mono: true }],
      ["Issued", when(cert.issuedAt)],
      ["Bound to SHA-256", cert.boundSha256, { mono: true }],
      ["Manifest store digest", cert.digest, { mono: true }],
      ["Download", h("a", { href: cert.downloadPath, download: `${cert.id}.c2pa` }, `${cert.id}.c2pa`)],
    ]));
}

export function logEntry(entry) {
  if (!entry) return section("log", "Log entry and anchor", h("p", { class: "muted" }, "No log entry."));
  const a = entry.anchor;
  return section("log", "Log entry and anchor",
    fields([
      ["Log sequence", entry.seq ?? "not batched yet"],
      ["Leaf", entry.leaf, { mono: true }],
      ["Record digest", entry.recordDigest, { mono: true }],
      ["Certificate digest", entry.certificateDigest, { mono: true }],
      ["Logged", when(entry.createdAt)],
    ]),
    a
      ? h("div", {}, h("h3", {}, "Anchor"), fields([
        ["Status", h("span", { id: "anchor-status" }, badge(a.status))],
        ["Chain", a.chainId],
        ["Contract", a.contract, { mono: true }],
        ["Batch", a.batchId],
        ["Entries", `${a.firstSeq} to ${a.firstSeq + a.size - 1}`],
        ["Merkle root", a.root, { mono: true }],
        ["Transaction", a.txHash ? h("span", { id: "anchor-tx" }, a.txHash) : "not sent yet", { mono: true }],
        ["Block", a.blockNumber],
        ["Confirmed", when(a.confirmedAt)],
        ["Last error", a.lastError],
      ]))
      : h("p", { class: "muted", id: "anchor-status" }, "Not anchored yet: the entry waits for the next anchoring round."));
}

/** The page's title block. */
export function header(kind, title, status, extra) {
  return h("header", { class: "record-header" },
    h("p", { class: "kind" }, kind),
    h("h1", { id: "record-title" }, title, " ", h("span", { id: "record-status" }, badge(status)), extra ?? null));
}
