// The overview, the dashboard's home: how a brand is doing over a period against the period
// before (GET /overview), and brands side by side on the same figures (GET /overview/compare).
// Every figure links to the search that lists the mentions behind it: the server gives each
// figure the query it was counted with.

import { api } from "./api.js";
import {
  clear, el, fillSelect, formatChange, formatNps, formatTime, showError, table, turns,
} from "./dom.js";
import { dayStart, recentDays } from "./search.js";

const $ = (id) => document.getElementById(id);
const DAYS = 30;
const overviewTurn = turns();
const compareTurn = turns();

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

// A link to the search view that lists the mentions of a figure; `count` (when the query
// lists exactly the figure's mentions) is kept on the link, so a test can hold it to that.
export function mentionsLink(query, count, text = plural(count, "mention")) {
  return el("a", { href: `#search?${new URLSearchParams({ q: query })}`, class: "mentions",
                   dataset: count === null ? {} : { count } }, text);
}

function percent(share) {
  return share === null ? "–" : `${Math.round(share * 100)}%`;
}

function stars(average) {
  return average === null ? "–" : `${average.toFixed(1)} ★`;
}

function versus(found) {
  return el("p", { class: "change" }, `${formatChange(found.change)} against ${found.previous} before`);
}

function tile(title, figure, ...rest) {
  return el("article", { class: "tile card" }, el("h3", {}, title),
            figure === null ? null : el("p", { class: "figure" }, figure), ...rest);
}

// Rows of a tile, or what to say and where to look when there are none.
function rows(items, cells, empty, elsewhere) {
  if (!items.length) return el("p", { class: "hint" }, `${empty} `, elsewhere);
  return el("ul", { class: "rows" }, items.map((item) => el("li", {}, cells(item))));
}

function viewLink(view, text) {
  return el("a", { href: `#${view}` }, text);
}

function sentimentTile(o) {
  return tile("Sentiment", null, rows(o.sentiment, (s) => [
    el("span", { class: `badge ${s.label}` }, s.label), " ", mentionsLink(s.query, s.count),
    ` · ${percent(s.share)} · ${formatChange(s.change)}`,
  ], "No mentions.", viewLink("search", "Search")));
}

function ratingTile(r) {
  return tile("Average rating", stars(r.average),
    el("p", { class: "change" }, `${stars(r.previous_average)} before`),
    mentionsLink(r.query, r.ratings, plural(r.ratings, "rating")),
    el("ul", { class: "rows stars-split" }, [...r.stars].reverse().map((s) => el("li", {},
      `${s.stars} ★ `, mentionsLink(s.query, s.count, String(s.count))))));
}

function reviewsTile(v) {
  return tile("Reviews per week", v.per_week.toFixed(1),
    el("p", { class: "change" }, `${formatChange(v.change)} against ${v.previous_per_week.toFixed(1)} before`),
    mentionsLink(v.query, v.count, plural(v.count, "review")));
}

function npsTile(n) {
  const estimated = n.all.total - n.rated.total;
  return tile("NPS", `${formatNps(n.rated.nps)} rated`,
    el("p", {}, `${formatNps(n.all.nps)} with estimates from sentiment`),
    el("p", { class: "change" }, `${formatNps(n.previous_rated)} rated, ${formatNps(n.previous_all)} with estimates before`),
    el("p", {}, mentionsLink(n.rated_query, n.rated.total, plural(n.rated.total, "rated mention")),
       " · ", mentionsLink(n.estimated_query, estimated, `${estimated} estimated`)));
}

function shareTile(o) {
  const own = o.share_of_voice.find((s) => s.brand === o.brand);
  return tile("Share of voice", percent(own?.share ?? null), rows(o.share_of_voice, (s) => [
    `${s.brand} ${percent(s.share)} (${percent(s.previous_share)} before) · `,
    mentionsLink(s.query, s.count),
  ], "No watched brand has mentions.", viewLink("search", "Search")));
}

function aspectsTile(o) {
  return tile("Top aspects", null, rows(o.aspects, (a) => [
    `${a.aspect}: `, mentionsLink(a.query, a.count), ` · ${a.negative} negative · ${formatChange(a.change)}`,
  ], "No aspect named in this period.", viewLink("timeline", "Timeline")));
}

function risingTile(o) {
  return tile("Rising terms", null, rows(o.rising, (t) => [
    `${t.term}: `, mentionsLink(t.query, t.count), ` · ${t.previous} before`,
  ], "Nothing said much more than in the period before.", viewLink("timeline", "Timeline")));
}

function alertsTile(o) {
  return tile("Alerts", String(o.alerts.length), rows(o.alerts, (a) => [
    `${a.summary} (${formatTime(a.window_start)}) · `,
    mentionsLink(a.query, null, "that day's mentions"),
  ], "No alert in this period.", viewLink("alerts", "Alert history")));
}

function advocatesTile(o) {
  return tile("Top advocates", null, rows(o.advocates, (a) => [
    mentionsLink(a.query, null, a.author),
    ` · ${a.persona ?? "advocate"} · ${plural(a.mentions, "advocate mention")}`,
  ], "No advocate in this period.", viewLink("advocates", "Advocates")));
}

function coverageTile(o) {
  const healthy = o.coverage.filter((c) => c.finished_at && !c.trouble).length;
  return tile("Coverage", [`${healthy} of ${o.coverage.length}`, el("small", {}, " sources healthy")],
    rows(o.coverage, (c) => [
      `${c.source}: `, mentionsLink(c.query, c.mentions),
      c.finished_at ? ` · last run ${formatTime(c.finished_at)}` : " · no run recorded",
      c.trouble ? el("span", { class: "error" }, ` · ${c.trouble}`) : null,
    ], "No crawl has run yet.", viewLink("sources", "Sources")));
}

// `45m`, `2h30m`, `3d` or `2d5h`, as `mentionwatch responses` prints a time to respond.
function duration(seconds) {
  if (seconds === null) return "–";
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(seconds / 3600);
  const days = Math.floor(seconds / 86400);
  if (!hours) return `${minutes}m`;
  if (!days) return `${hours}h${minutes % 60 ? `${String(minutes % 60).padStart(2, "0")}m` : ""}`;
  return `${days}d${hours % 24 ? `${hours % 24}h` : ""}`;
}

// Response metrics (GET /responses): the brand's, then each other watched brand's.
function responsesTile(r) {
  const [own, ...others] = r.brands;
  const t = own.total;
  return tile("Responses", percent(t.rate),
    el("p", {}, `median ${duration(t.median_seconds)} · p90 ${duration(t.p90_seconds)} to a first reply`),
    el("p", {}, mentionsLink(t.answered.query, t.answered.count, `${t.answered.count} answered`),
       " of ", mentionsLink(t.answerable.query, t.answerable.count, `${t.answerable.count} answerable`),
       " · ", mentionsLink(t.unanswered_negative.query, t.unanswered_negative.count,
                           `${t.unanswered_negative.count} negative unanswered`)),
    rows(others, (b) => [
      `${b.brand} ${percent(b.total.rate)} · median ${duration(b.total.median_seconds)} · `,
      mentionsLink(b.total.answered.query, b.total.answered.count, `${b.total.answered.count} answered`),
    ], "No other watched brand.", viewLink("compare", "Compare")));
}

function lastDay(until) {
  return new Date(new Date(until).getTime() - 1).toISOString().slice(0, 10);
}

function tiles(o, responses) {
  const p = o.period;
  return [
    el("h2", { class: "span" }, `${o.brand}: ${p.since.slice(0, 10)} to ${lastDay(p.until)}`,
       el("small", { class: "hint" }, ` against ${p.previous_since.slice(0, 10)} to ${lastDay(p.since)}`)),
    tile("Mentions", String(o.volume.count), versus(o.volume),
         mentionsLink(o.volume.query, o.volume.count)),
    sentimentTile(o), ratingTile(o.rating), reviewsTile(o.reviews), npsTile(o.nps),
    shareTile(o), aspectsTile(o), risingTile(o), alertsTile(o), advocatesTile(o), coverageTile(o),
    responsesTile(responses),
  ];
}

// The period of the form (date inputs, both days inclusive) as the API's [since, until).
function period(prefix) {
  return { since: dayStart($(`${prefix}-since`).value), until: dayStart($(`${prefix}-until`).value, 1) };
}

async function showOverview() {
  const current = overviewTurn();
  const brand = $("o-brand").value;
  showError($("overview-error"), null);
  history.replaceState(null, "", `#overview?${new URLSearchParams({
    brand, since: $("o-since").value, until: $("o-until").value })}`);
  if (!brand) {
    showError($("overview-error"), "No brand has mentions yet: run mentionwatch crawl.");
    return;
  }
  try {
    const params = { brand, ...period("o") };
    const [found, responses] = await Promise.all([api("/overview", { params }),
                                                  api("/responses", { params })]);
    if (current()) clear($("overview-tiles")).append(...tiles(found, responses));
  } catch (error) {
    if (current()) showError($("overview-error"), error);
  }
}

// Form fields from the URL's hash, else the default period and the most mentioned brand.
async function restore(prefix, params) {
  const range = await recentDays(DAYS);
  $(`${prefix}-since`).value = params.get("since") || range.since;
  $(`${prefix}-until`).value = params.get("until") || range.until;
}

export async function initOverview(brands, params) {
  $("overview-form").addEventListener("submit", showOverview);
  const options = await brands;
  fillSelect($("o-brand"), options);
  await revisitOverview(params, options);
}

export async function revisitOverview(params, options = []) {
  await restore("o", params);
  const wanted = (params.get("brand") ?? "").toLowerCase();
  const select = $("o-brand");
  const match = [...select.options].find((o) => o.value && o.value.toLowerCase() === wanted);
  select.value = match?.value ?? select.value ?? "";
  if (!select.value && options.length) select.value = options[0].value;
  await showOverview();
}

// Compare: one row per figure, one column per brand (on a phone, a card per figure). A
// figure reads the brand's overview `o` and its response metrics `r` (GET /responses).
const FIGURES = [
  ["Mentions", (o) => [mentionsLink(o.volume.query, o.volume.count, String(o.volume.count)),
                       ` (${formatChange(o.volume.change)})`]],
  ...["positive", "neutral", "negative"].map((label, i) => [
    label[0].toUpperCase() + label.slice(1),
    (o) => [mentionsLink(o.sentiment[i].query, o.sentiment[i].count, String(o.sentiment[i].count)),
            ` (${percent(o.sentiment[i].share)})`]]),
  ["Average rating", (o) => [`${stars(o.rating.average)} · `,
                             mentionsLink(o.rating.query, o.rating.ratings, plural(o.rating.ratings, "rating"))]],
  ["Reviews per week", (o) => [`${o.reviews.per_week.toFixed(1)} · `,
                               mentionsLink(o.reviews.query, o.reviews.count, plural(o.reviews.count, "review"))]],
  ["NPS rated", (o) => [`${formatNps(o.nps.rated.nps)} · `,
                        mentionsLink(o.nps.rated_query, o.nps.rated.total, `${o.nps.rated.total} rated`)]],
  ["NPS with estimates", (o) => {
    const estimated = o.nps.all.total - o.nps.rated.total;
    return [`${formatNps(o.nps.all.nps)} · `,
            mentionsLink(o.nps.estimated_query, estimated, `${estimated} estimated`)];
  }],
  ["Share of voice", (o) => {
    const own = o.share_of_voice.find((s) => s.brand === o.brand);
    return own ? [`${percent(own.share)} · `, mentionsLink(own.query, own.count)] : "–";
  }],
  ["Top aspect", (o) => (o.aspects[0]
    ? [`${o.aspects[0].aspect} · `, mentionsLink(o.aspects[0].query, o.aspects[0].count)] : "–")],
  ["Top rising term", (o) => (o.rising[0]
    ? [`${o.rising[0].term} · `, mentionsLink(o.rising[0].query, o.rising[0].count)] : "–")],
  ["Response rate", (o, r) => {
    const t = r.brands[0].total;
    return [`${percent(t.rate)} · median ${duration(t.median_seconds)} · `,
            mentionsLink(t.answered.query, t.answered.count, `${t.answered.count} answered`)];
  }],
  ["Alerts", (o) => String(o.alerts.length)],
  ["Top advocate", (o) => (o.advocates[0]
    ? mentionsLink(o.advocates[0].query, null, o.advocates[0].author) : "–")],
  ["Sources in trouble", (o) => String(o.coverage.filter((c) => c.trouble).length)],
];

function checkedBrands() {
  return [...$("c-brands").querySelectorAll("input:checked")].map((box) => box.value);
}

async function showCompare() {
  const current = compareTurn();
  const brands = checkedBrands();
  showError($("compare-error"), null);
  history.replaceState(null, "", `#compare?${new URLSearchParams({
    brands: brands.join(","), since: $("c-since").value, until: $("c-until").value })}`);
  if (!brands.length) {
    showError($("compare-error"), "Tick the brands to compare.");
    return;
  }
  try {
    const params = period("c");
    const [found, responses] = await Promise.all([
      api("/overview/compare", { params: { brands: brands.join(","), ...params } }),
      Promise.all(brands.map((brand) => api("/responses", { params: { brand, ...params } })))]);
    if (!current()) return;
    const head = $("compare-table").tHead;
    // The corner is empty: on a phone each figure's name heads its own card.
    clear(head).append(el("tr", {}, el("th", {}),
      found.brands.map((o) => el("th", {}, el("a", {
        href: `#overview?${new URLSearchParams({ brand: o.brand, since: $("c-since").value,
                                                  until: $("c-until").value })}` }, o.brand)))));
    table($("compare-table").tBodies[0], FIGURES, ([name, cell]) => [
      name, ...found.brands.map((o, i) => el("span", {}, cell(o, responses[i])))]);
  } catch (error) {
    if (current()) showError($("compare-error"), error);
  }
}

export async function initCompare(brands, params) {
  $("compare-form").addEventListener("submit", showCompare);
  const wanted = (params.get("brands") ?? "").toLowerCase().split(",").filter(Boolean);
  const boxes = (await brands).slice(0, 10).map(({ value, label }) => el("label", {},
    el("input", { type: "checkbox", name: "brand", value,
                  checked: !wanted.length || wanted.includes(value.toLowerCase()) }), ` ${label}`));
  $("c-brands").replaceChildren(el("legend", {}, "Brands"), ...boxes);
  await restore("c", params);
  await showCompare();
}
