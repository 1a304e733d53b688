// The explorer's entry: a hash router (`#/search/…`, `#/model-version/<id>`, …) over the pages,
// and the key dialog the audit API's refusals open.
import { KeyNeeded, apiKey, h, setApiKey } from "./api.js";
import * as pages from "./pages.js";

const main = document.getElementById("main");
const notice = document.getElementById("notice");
const dialog = document.getElementById("key-dialog");
const keyInput = document.getElementById("key-input");
const searchText = document.getElementById("search-text");

const ROUTES = {
  "": () => pages.home(),
  search: (text) => pages.search(text),
  license: (id) => pages.license(id),
  dataset: (id) => pages.dataset(id),
  "model-version": (id) => pages.modelVersion(id),
  token: (id) => pages.token(id),
  circuit: (id) => pages.circuit(id),
};

function say(text, error = false) {
  notice.hidden = !text;
  notice.textContent = text ?? "";
  notice.classList.toggle("error", error);
}

function openKeyDialog(reason) {
  document.getElementById("key-reason").textContent = reason;
  keyInput.value = apiKey() ?? "";
  if (!dialog.open) dialog.showModal();
  keyInput.focus();
}

let rendering = 0;

async function render() {
  const turn = ++rendering;
  const [, page = "", ...rest] = location.hash.split("/");
  const arg = decodeURIComponent(rest.join("/"));
  const route = ROUTES[page];
  main.setAttribute("aria-busy", "true");
  delete main.dataset.loaded;
  try {
    if (!route) throw new Error(`no such page: ${location.hash}`);
    if (page === "search") searchText.value = arg;
    const out = await route(arg);
    if (turn !== rendering) return;
    const { nodes, start } = Array.isArray(out) ? { nodes: out, start: [] } : out;
    main.replaceChildren(...nodes.filter(Boolean));
    say("");
    const title = document.getElementById("record-title") ?? main.querySelector("h1");
    document.title = `${title ? `${title.firstChild?.textContent ?? title.textContent} · ` : ""}provreg explorer`;
    main.focus({ preventScroll: true });
    await Promise.all(start.map((f) => f()));
  } catch (e) {
    if (turn !== rendering) return;
    if (e instanceof KeyNeeded) {
      main.replaceChildren(h("h1", {}, "A key is needed"),
        h("p", {}, "This registry's audit API answered ", h("code", {}, e.code), ": paste an auditor key to read it."),
        h("button", { type: "button", onclick: () => openKeyDialog(e.message) }, "Enter a key"));
      openKeyDialog(`The audit API answered ${e.code}: ${e.message}. Paste an auditor (or higher) key.`);
    } else {
      main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { class: "error-box", id: "page-error" }, e.message));
    }
  } finally {
    if (turn === rendering) {
      main.removeAttribute("aria-busy");
      // The page and everything it loads (graph, impact) are drawn: tests wait for this.
      main.dataset.loaded = location.hash || "#/";
    }
  }
}

document.getElementById("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = searchText.value.trim();
  if (text) location.hash = `#/search/${encodeURIComponent(text)}`;
});
document.getElementById("key-button").addEventListener("click", () => openKeyDialog("Paste an auditor (or higher) key for this registry's audit API."));
document.getElementById("key-form").addEventListener("submit", () => {
  setApiKey(keyInput.value.trim() || null);
  render();
});
document.getElementById("key-clear").addEventListener("click", () => {
  setApiKey(null);
  dialog.close();
  render();
});
document.getElementById("key-cancel").addEventListener("click", () => dialog.close());
window.addEventListener("hashchange", render);
window.addEventListener("unhandledrejection", (e) => say(String(e.reason?.message ?? e.reason), true));
render();
