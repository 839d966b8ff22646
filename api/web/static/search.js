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

const DAY_MS = 86_400_000;

// The last `days` days up to the newest mention's day (UTC) rather than today, so an old
// crawl still shows something: { since, until } as date-input values, both inclusive.
export async function recentDays(days) {
  const newest = await api("/mentions", { params: { sort: "newest", size: 1 } });
  const last = newest.results[0]?.mention.published_at;
  const until = last ? new Date(last) : new Date();
  const iso = (date) => date.toISOString().slice(0, 10);
  return { since: iso(new Date(until.getTime() - (days - 1) * DAY_MS)), until: iso(until) };
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

// A reloaded or shared search is in the hash: text fields now, choices once they exist.
function restore(params, tag) {
  for (const [name, id] of Object.entries(FIELDS)) {
    if (params.has(name) && $(id).tagName === tag) $(id).value = params.get(name);
  }
  page = Math.max(1, Number(params.get("page")) || 1);
}

export async function initSearch(params) {
  $("search-form").addEventListener("submit", () => {
    page = 1;
    run();
  });
  $("prev").addEventListener("click", () => { page -= 1; run(); });
  $("next").addEventListener("click", () => { page += 1; run(); });
  restore(params, "INPUT");
  await loadFacets();
  restore(params, "SELECT");
  await run();
}

// A link to a search (an overview figure's) followed once the view is open: what the link
// says, and every field it leaves out back to its default.
export async function revisitSearch(params) {
  $("search-form").reset();
  restore(params, "INPUT");
  restore(params, "SELECT");
  await run();
}
