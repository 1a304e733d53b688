// The explorer's only ways out: the audit GraphQL API and the registry's read-only download
// routes, with the auditor key the user pasted (kept in session storage, sent as a bearer token).

const KEY_STORAGE = "provreg-explorer-key";

/** The audit API refused the call for want of a (good enough) key. */
export class KeyNeeded extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The API answered with coded errors. */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; "));
    this.errors = errors;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

function authHeaders() {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Runs a query on `/audit/graphql`; returns `data`, or throws `KeyNeeded` / `ApiError`. */
export async function gql(query, variables = {}) {
  const resp = await fetch("/audit/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await resp.json();
  } catch {
    throw new Error(`the audit API answered HTTP ${resp.status} without JSON`);
  }
  const errors = body.errors ?? [];
  const refusal = errors.find((e) => ["UNAUTHENTICATED", "FORBIDDEN"].includes(e.extensions?.code));
  if (resp.status === 401 || resp.status === 403 || refusal) {
    throw new KeyNeeded(refusal?.extensions?.code ?? `HTTP ${resp.status}`, refusal?.message ?? "a key is needed");
  }
  if (errors.length) throw new ApiError(errors);
  if (!resp.ok) throw new Error(`the audit API answered HTTP ${resp.status}`);
  return body.data;
}

/** Fetches `path` with the key and saves it as `filename` (a download the browser keeps). */
export async function download(path, filename) {
  const resp = await fetch(path, { headers: authHeaders() });
  if (resp.status === 401 || resp.status === 403) {
    throw new KeyNeeded(`HTTP ${resp.status}`, `${path} needs an auditor key`);
  }
  if (!resp.ok) {
    let message = `HTTP ${resp.status}`;
    try {
      const body = await resp.json();
      message = body.error ?? body.errors?.[0]?.message ?? message;
    } catch {
      /* not JSON: the status says it */
    }
    throw new Error(`downloading ${path}: ${message}`);
  }
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return blob.size;
}

/**
 * Builds an element: `h("a", { href }, "text", child)`. Strings become text nodes, never
 * markup, so nothing the registry returns is parsed as HTML.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A status as a coloured badge (`ACTIVE`, `REVOKED`, `affected`, `CONFIRMED`, `Trusted`, …). */
export function badge(status) {
  const text = String(status ?? "unknown");
  return h("span", { class: `badge status-${text.toLowerCase()}`, dataset: { status: text.toLowerCase() } }, text);
}
