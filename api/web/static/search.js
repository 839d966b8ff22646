// The search view: the query language, filters, results with highlights; a bad query shows
// the server's message with a caret under the position it names.

import { api } from "./api.js";
import { clear, fillSelect, optionsOf, turns } from "./dom.js";
import { mentionCard } from "./mentions.js";

const SIZE = 20;
const $ = (id) => document.getElementById(id);
const FIELDS = { q: "q", brand: "f-brand", source: "f-source", lang: "f-lang",
                 sentiment: "f-sentiment", since: "f-since", until: "f-until", sort: "f-sort" };

let page = 1;
const turn = turns();

// A date input's day as the start of that day in UTC; `until` is inclusive, so the next day.
export function dayStart(value, plusDays = 0) {
  if (!value) return "";
  const day = new Date(`${value}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + plusDays);
  return day.toISOString();
}

function formState() {
  return Object.fromEntries(Object.entries(FIELDS).map(([name, id]) => [name, $(id).value]));
}

function showQueryError(query, error) {
  const box = $("query-error");
  box.hidden = false;
  box.querySelector(".error").textContent = error.message;
  box.querySelector(".caret").textContent =
    error.position === null ? query : `${query}\n${" ".repeat(error.position)}^`;
}

async function run() {
  const state = formState();
  const current = turn();
  history.replaceState(null, "", `#search?${new URLSearchParams({ ...state, page })}`);
  $("query-error").hidden = true;
  const summary = $("search-summary");
  summary.textContent = "Searching…";
  clear($("results"));
  try {
    const found = await api("/mentions", { params: {
      ...state, since: dayStart(state.since), until: dayStart(state.until, 1), page, size: SIZE,
    } });
    if (!current()) return;
    const last = Math.max(1, Math.ceil(found.total / SIZE));
    summary.textContent = found.total === 0 ? "No mentions match."
      : `${found.total} mention${found.total === 1 ? "" : "s"} · page ${page} of ${last}`;
    $("results").append(...found.results.map((hit) => mentionCard(hit.mention, hit.highlight, hit.duplicates)));
    $("prev").disabled = page <= 1;
    $("next").disabled = page >= last;
  } catch (error) {
    if (!current()) return;
    summary.textContent = "";
    if (error.status === 400 && error.position !== null) showQueryError(state.q, error);
    else summary.textContent = `Search failed: ${error.message}`;
  }
}

async function loadFacets() {
  const top = (field) => api(`/analytics/top/${field}`, { params: { size: 100 } })
    .then(optionsOf);
  const [brands, sources, langs] = await Promise.all(["brand", "source", "lang"].map(top));
  fillSelect($("f-brand"), brands);
  fillSelect($("f-source"), sources);
  fillSelect($("f-lang"), langs);
}

export async function initSearch(params) {
  $("search-form").addEventListener("submit", () => {
    page = 1;
    run();
  });
  $("prev").addEventListener("click", () => { page -= 1; run(); });
  $("next").addEventListener("click", () => { page += 1; run(); });
  // A reloaded or shared search is in the hash: text fields now, choices once they exist.
  const restore = (tag) => {
    for (const [name, id] of Object.entries(FIELDS)) {
      if (params.has(name) && $(id).tagName === tag) $(id).value = params.get(name);
    }
  };
  restore("INPUT");
  page = Math.max(1, Number(params.get("page")) || 1);
  await loadFacets();
  restore("SELECT");
  await run();
}
