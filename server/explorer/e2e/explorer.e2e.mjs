// End-to-end check of the explorer in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core), against a registry the Rust test `server/tests/api/explorer.rs` started
// and filled. Every check throws on failure; the process exits 1 with what failed (and a
// screenshot of the page then), 0 when every check held.
//
// Environment: PROVREG_BASE_URL, PROVREG_API_KEY (an auditor key), PROVREG_IDS (JSON: v1, v11,
// v2, v3, pixelTraits, museum, openArt, token, tokens[], contract, bulkLicence, bulkDatasets,
// anchorTx, anchorContract),
// PROVREG_CHROMIUM, PROVREG_SCREENSHOTS (a folder), PROVREG_README_SCREENSHOT (optional:
// where to write the README's screenshot). With PROVREG_SCENARIO=without-graph-library, it
// checks instead that a server without the graph library says so and still lists the
// lineage (PROVREG_IDS then needs v2 and v11 only).
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("PROVREG_BASE_URL");
const key = env("PROVREG_API_KEY");
const ids = JSON.parse(env("PROVREG_IDS"));
const shots = env("PROVREG_SCREENSHOTS");
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let checks = 0;
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  checks += 1;
}

// The whole test suite runs beside this on a small machine: waits are generous, and a
// check that fails still fails at once.
const WAIT_MS = 120_000;
const problems = [];
function watch(page, name) {
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  page.on("console", (m) => { if (m.type() === "error") problems.push(`${name}: console error: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${name}: uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`${name}: request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${name}: HTTP ${r.status()} for ${r.url()}`); });
}

async function axe(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  check(bad.length === 0, `${what}: axe found serious violations: ${JSON.stringify(bad.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target) })))}`);
}

/** Goes to the explorer's page `hash` and waits until it and its graph and impact are drawn. */
async function open(page, hash) {
  await page.goto(`${base}/explorer/${hash}`);
  await page.locator(`main[data-loaded="${hash}"]`).waitFor();
}
/** Waits until the page `hash` the last click led to is drawn. */
const loaded = (page, hash) => page.locator(`main[data-loaded="${hash}"]`).waitFor();

const listItem = (page, id) => page.locator(`#graph-list li[data-id="${id}"]`);
const nodeCount = async (page) => Number(await page.locator("#graph-canvas").getAttribute("data-node-count"));
const cytoscapeNodes = (page) => page.evaluate(() => document.querySelectorAll("#graph-list li[data-id]").length);

async function run(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  watch(page, "laptop");

  // The audit API of this registry needs a key: the page asks for one.
  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === "/explorer/", `/ leads to the explorer, not ${page.url()}`);
  await page.locator("#key-dialog[open]").waitFor();
  check(await page.locator("#key-dialog").evaluate((d) => d.open), "the key dialog opens when the API refuses");
  check((await page.locator("#key-reason").textContent()).includes("UNAUTHENTICATED"), "the dialog says why");
  await page.fill("#key-input", key);
  await page.click("#key-save");
  await page.locator("#model-versions").waitFor();
  check(await page.locator("#model-versions a", { hasText: "trait-generator v2" }).count() === 1, "home lists v2");
  await axe(page, "home");

  // Search by keyboard. A page puts the focus on its content; the header is behind it.
  check(await page.evaluate(() => document.activeElement.id) === "main", "a new page focuses its content");
  for (let i = 0; i < 4 && await page.evaluate(() => document.activeElement.id) !== "search-text"; i += 1) {
    await page.keyboard.press("Shift+Tab");
  }
  check(await page.evaluate(() => document.activeElement.id) === "search-text", "Shift+Tab reaches the search box");
  await page.keyboard.type("v2");
  await page.keyboard.press("Enter");
  await loaded(page, "#/search/v2");
  const hit = page.locator(`tr[data-id="${ids.v2}"] a`);
  check(await hit.count() === 1, "search for v2 finds the model version v2");
  check((await hit.textContent()) === "trait-generator v2", "the hit is titled trait-generator v2");
  check(await page.locator(`tr[data-id="${ids.v1}"]`).count() === 0, "search for v2 does not find v1");
  await page.screenshot({ path: join(shots, "search.png") });
  await axe(page, "search results");

  // v2's page: the graph opens collapsed on v2, its parent and its datasets.
  await hit.focus();
  await page.keyboard.press("Enter");
  await loaded(page, `#/model-version/${ids.v2}`);
  check((await page.locator("#record-title").textContent()).includes("trait-generator v2"), "v2's page opens");
  for (const [name, id] of [["parent v1.1", ids.v11], ["pixel-traits", ids.pixelTraits], ["museum-scans-nc", ids.museum], ["open-art-corpus", ids.openArt], ["child v3-zk", ids.v3]]) {
    check(await listItem(page, id).count() === 1, `v2's graph shows ${name}`);
  }
  check(await listItem(page, ids.v1).count() === 0, "the graph opens collapsed: v1 (two hops up) is not drawn yet");
  const opened = await nodeCount(page);
  check(opened === await cytoscapeNodes(page), "the canvas and the list hold the same records");
  check(opened >= 7, `v2's neighbourhood has at least 7 records, got ${opened}`);
  check(await page.evaluate(() => typeof window.cytoscape === "function" && !document.getElementById("graph-missing")), "the graph library is loaded");
  check(await page.locator("#graph-canvas canvas").count() > 0, "the graph is drawn on a canvas");
  check((await page.locator("#graph-summary").textContent()).includes("depth limit 3 hops"), "the depth limit is shown");
  // A revoked record, and what it affects, are marked.
  check(await listItem(page, ids.museum).getAttribute("data-status") === "revoked", "museum-scans-nc is marked revoked");
  const drawn = (id) => page.evaluate((nodeId) => {
    const n = document.getElementById("graph-canvas").cytoscape.$id(nodeId);
    return { border: n.style("border-color"), line: n.style("border-style"), visible: n.visible() };
  }, id);
  const museumDrawn = await drawn(ids.museum);
  check(museumDrawn.visible && museumDrawn.border === "rgb(185,28,28)", `the canvas draws museum-scans-nc red: ${JSON.stringify(museumDrawn)}`);
  check((await drawn(ids.v2)).line === "dashed", "and v2 with the dashed border of affected records");
  check((await drawn(ids.pixelTraits)).line === "solid", "and pixel-traits without it");
  check(await listItem(page, ids.v2).getAttribute("data-affected") === "true", "v2, trained on it, is marked affected");
  check(await listItem(page, ids.pixelTraits).getAttribute("data-affected") === "false", "pixel-traits is not affected");
  check((await page.locator("#record-status").textContent()) === "ACTIVE affected", "v2's header says it is affected");
  check((await page.locator("#upstream-problems").textContent()).includes("museum-scans-nc"), "and by what");
  await page.screenshot({ path: join(shots, "model-version.png") });
  await axe(page, "model version page");

  // Expanding v1.1 (by keyboard) adds its neighbours: v1 and its eval set.
  await page.locator(`button[aria-label="Expand: trait-generator v1.1"]`).focus();
  await page.keyboard.press("Enter");
  await listItem(page, ids.v1).waitFor();
  const expanded = await nodeCount(page);
  check(expanded > opened, `expanding v1.1 adds nodes (${opened} → ${expanded})`);
  const said = await page.locator("#graph-message").textContent();
  check(said.includes(`${expanded - opened} neighbour`), `the page says what was added: ${said}`);
  check(await page.locator(`button[aria-label="Expanded: trait-generator v1.1"]`).isDisabled(), "v1.1 is marked expanded");
  if (process.env.PROVREG_README_SCREENSHOT) {
    await page.locator("#lineage").screenshot({ path: process.env.PROVREG_README_SCREENSHOT });
  }
  // The depth limit holds: at limit 1, v1 (two hops from v2) cannot be expanded.
  await page.selectOption("#depth-limit", "1");
  check(await page.locator(`button[aria-label="At depth limit: trait-generator v1"]`).isDisabled(), "v1 is at the depth limit of 1");

  // A large neighbourhood is drawn a page at a time: 25 of the licence's 30 datasets, then the rest.
  await open(page, `#/license/${ids.bulkLicence}`);
  check(await nodeCount(page) === 26, `the licence and 25 of its datasets are drawn, got ${await nodeCount(page)}`);
  const more = page.locator(`#graph-list li[data-more="${ids.bulkLicence}"] button`);
  check((await more.textContent()).includes(`5 more of ${ids.bulkDatasets - 25}`), `a button offers the rest: ${await more.textContent()}`);
  check((await page.locator("#graph-summary").textContent()).includes("5 more not drawn yet"), "the summary says what is not drawn");
  await more.click();
  check(await nodeCount(page) === 1 + ids.bulkDatasets, "the next page adds the other 5");
  check(await more.count() === 0, "nothing more to show");
  await page.goBack();
  await loaded(page, `#/model-version/${ids.v2}`);

  // The revoked dataset's own page.
  await page.locator(`#graph-list li[data-id="${ids.museum}"] a`).click();
  await loaded(page, `#/dataset/${ids.museum}`);
  check((await page.locator("#record-status").textContent()) === "REVOKED", "museum-scans-nc's page says REVOKED");
  check((await page.locator("#history").textContent()).includes("consent withdrawn"), "its history has the reason");
  check(["Trusted", "Valid"].includes(await page.locator("#certificate-state .badge").textContent()), "its certificate validates");

  // The impact of pixel-traits: the versions trained on it and the demo tokens.
  await open(page, `#/dataset/${ids.pixelTraits}`);
  const tokenRows = page.locator('#impact-result tr[data-kind="TOKEN"]');
  check(await tokenRows.count() === ids.tokens.length, `the impact lists the ${ids.tokens.length} tokens, got ${await tokenRows.count()}`);
  for (const id of ids.tokens) check(await page.locator(`#impact-result tr[data-id="${id}"]`).count() === 1, `token ${id} is listed`);
  for (const id of [ids.v11, ids.v2, ids.v3]) check(await page.locator(`#impact-result tr[data-id="${id}"]`).count() === 1, `version ${id} is listed`);
  check(await page.locator(`#impact-result tr[data-id="${ids.v1}"]`).count() === 0, "v1 is upstream, not affected");
  await page.screenshot({ path: join(shots, "impact.png"), fullPage: true });
  await axe(page, "dataset page with its impact");
  // Filters: depth 1 leaves the versions trained on it and no token (tokens are one hop beyond).
  await page.selectOption("#impact-depth", "1");
  await page.locator("#impact-summary", { hasText: "within 1 hop." }).waitFor();
  check(await tokenRows.count() === 0, "no token within one hop");
  check(await page.locator('#impact-result tr[data-kind="MODEL_VERSION"]').count() === 3, "v1.1, v2 and v3-zk within one hop");
  await page.selectOption("#impact-depth", "");
  await page.locator("#impact-summary", { hasText: `${ids.tokens.length} tokens` }).waitFor();
  await page.uncheck('input[name="impact-kind"][value="modelVersion"]');
  await page.locator('#impact-result tr[data-kind="MODEL_VERSION"]').first().waitFor({ state: "detached" });
  check(await tokenRows.count() === ids.tokens.length, "without versions, the tokens stay");
  await page.check('input[name="impact-kind"][value="modelVersion"]');
  // The CSV of the same selection.
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#impact-csv")]);
  const csv = readFileSync(await csvDownload.path(), "utf8");
  check(csvDownload.suggestedFilename() === `${ids.pixelTraits}.impact.csv`, "the CSV is named after the dataset");
  check(csv.startsWith("id,kind,name,version,status"), `the CSV has its header: ${csv.slice(0, 80)}`);
  for (const id of ids.tokens) check(csv.includes(`${id},token,`), `the CSV lists token ${id}`);
  check(csv.includes(`${ids.v3},modelVersion,`), "the CSV lists v3-zk");

  // A token's page: its image, traits, seed, proof, evidence bundle and the verify command.
  await page.locator(`#impact-result tr[data-id="${ids.token}"] a`).click();
  await loaded(page, `#/token/${ids.token}`);
  await page.waitForFunction(() => document.getElementById("token-image").complete);
  check(await page.locator("#token-image").evaluate((img) => img.naturalWidth > 0), "the token's image loads");
  check((await page.locator("#record-status").textContent()) === "affected", "the token is marked affected");
  check((await page.locator("#token-traits").textContent()).split(",").length === 4, "four traits");
  check((await page.locator("#seed-source").textContent()).includes("OPERATOR"), "the seed source is shown");
  check((await page.locator("#proof").textContent()).includes("ezkl"), "the proof record is shown");
  const command = await page.locator("#verify-command").textContent();
  check(command.startsWith(`provreg verify evidence-31337-${ids.contract}-1.json --token 31337/${ids.contract}/1 --trust ca.pem`), `the verify command: ${command}`);
  check((await page.locator("#affected").textContent()).includes("museum-scans-nc"), "the token names what affects it");
  check((await page.locator("#anchor-status").textContent()) === "CONFIRMED", "the token's anchor is confirmed");
  check((await page.locator("#anchor-tx").textContent()) === ids.anchorTx, "with its transaction");
  check(command.toLowerCase().endsWith(` --rpc http://127.0.0.1:8545 --contract ${ids.anchorContract}`.toLowerCase()), `the command checks the anchor contract: ${command}`);
  const [bundle] = await Promise.all([page.waitForEvent("download"), page.click("#evidence-download")]);
  check(bundle.suggestedFilename() === `evidence-31337-${ids.contract}-1.json`, "the bundle has the command's file name");
  const evidence = JSON.parse(readFileSync(await bundle.path(), "utf8"));
  check(JSON.stringify(evidence).includes(ids.token), "the bundle is the token's");
  // The Rust test runs the command the page gives on the file the page downloaded.
  await bundle.saveAs(join(shots, bundle.suggestedFilename()));
  writeFileSync(join(shots, "verify-command.txt"), command);
  await page.screenshot({ path: join(shots, "token.png"), fullPage: true });
  await axe(page, "token page");

  // On a phone: one column, nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.addInitScript((k) => sessionStorage.setItem("provreg-explorer-key", k), key);
  const small = await phone.newPage();
  watch(small, "phone");
  await open(small, `#/model-version/${ids.v2}`);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the page fits a phone's width (overflow ${overflow}px)`);
  await small.screenshot({ path: join(shots, "phone.png"), fullPage: false });
  await axe(small, "model version page on a phone");
  await open(small, `#/token/${ids.token}`);
  check(await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth) <= 1, "the token page fits a phone");

  check(problems.length === 0, `no console errors or failed requests: ${problems.join(" | ")}`);
}

/** A server whose graph library is not installed: the page says how to install it. */
async function withoutGraphLibrary(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript((k) => sessionStorage.setItem("provreg-explorer-key", k), key);
  const page = await context.newPage();
  watch(page, "without the graph library");
  await open(page, `#/model-version/${ids.v2}`);
  const missing = page.locator("#graph-missing");
  check(await missing.isVisible(), "the page says the graph library is missing");
  check((await missing.textContent()).includes("npm ci in server/explorer"), "and how to install it");
  check(await listItem(page, ids.v11).count() === 1, "the lineage is still listed");
  await page.screenshot({ path: join(shots, "without-graph-library.png") });
  // The refused vendor files, and only they, fail to load (a 503 is never run as a script).
  const vendor = /^without the graph library: (HTTP 503 for \S+\/explorer\/vendor\/\S+|request failed: \S+\/explorer\/vendor\/\S+ net::ERR_ABORTED|console error: Failed to load resource: the server responded with a status of 503 .*)$/;
  const unexpected = problems.filter((p) => !vendor.test(p));
  check(problems.some((p) => p.includes("HTTP 503")), "the vendor files were refused with 503");
  check(unexpected.length === 0, `nothing else failed: ${unexpected.join(" | ")}`);
}

const browser = await chromium.launch({
  executablePath: env("PROVREG_CHROMIUM"),
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
});
try {
  await (process.env.PROVREG_SCENARIO === "without-graph-library" ? withoutGraphLibrary(browser) : run(browser));
  console.log(`explorer e2e: ${checks} checks passed; screenshots in ${shots}`);
} catch (e) {
  for (const ctx of browser.contexts()) {
    for (const p of ctx.pages()) await p.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
  }
  console.error(e.stack ?? String(e));
  if (problems.length) console.error(`also seen: ${problems.join("\n")}`);
  writeFileSync(join(shots, "failure.txt"), String(e.stack ?? e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
