// AI visibility (GET /visibility): per prompt and engine, how often the AI answers name the
// brand, as a trend of the share of runs with its 95% Wilson interval drawn as a band
// (answers vary from run to run: 3 of 5 is anywhere from 23% to 88%), its mean position,
// share of voice and the tone toward it, the pages the answers cite joined to the mentions
// the index holds there, and the brand's advocates the answers cite.

import { api } from "./api.js";
import { clear, el, fillSelect, safeHref, showError, table, turns } from "./dom.js";
import { dayStart } from "./search.js";

const $ = (id) => document.getElementById(id);
const showTurn = turns();
const charts = [];
const BAND = "#1f6feb33";
const LINE = "#1f6feb";

function percent(share) {
  return share === null ? "–" : `${Math.round(share * 100)}%`;
}

function interval([low, high]) {
  return `${percent(low)}–${percent(high)}`;
}

function day(start, by) {
  const options = { month: "short", day: "numeric", timeZone: "UTC" };
  const label = new Date(start).toLocaleDateString(undefined, options);
  return by === "week" ? `week of ${label}` : label;
}

function link(url, text = url) {
  const href = safeHref(url);
  return href ? el("a", { href, rel: "noopener noreferrer", target: "_blank" }, text) : text;
}

function figure(name, value) {
  return [el("dt", {}, name), el("dd", {}, value)];
}

function sentimentOf(row) {
  const labels = Object.entries(row.sentiment);
  if (!labels.length) return "–";
  return labels.map(([label, count]) => el("span", { class: `badge ${label}` }, `${label} ${count}`));
}

function figures(row) {
  const others = Object.entries(row.competitors).map(([name, count]) => `${name} ${count}`);
  return el("dl", { class: "figures" },
    figure("Named in", `${row.named} of ${row.runs} runs (${percent(row.share)}; 95% interval `
                       + `${interval(row.share_interval)})`),
    figure("Mean position", row.mean_position ?? "–"),
    figure("Share of voice", percent(row.share_of_voice)),
    figure("Sentiment toward it", sentimentOf(row)),
    figure("Competitors named", others.join(", ") || "none"));
}

// The share per period as a line over its interval: a band of floating bars, one a period
// side by side. (A fill between two lines has no width at a lone period, as after a first
// crawl or in a week's view, so its interval would not show at all.)
function drawTrend(canvas, trend, by) {
  if (!window.Chart) return;
  const percents = (pick) => trend.map((point) => (point.runs ? pick(point) : null));
  const round = (share) => Math.round(share * 100);
  charts.push(new window.Chart(canvas, {
    type: "line",
    data: {
      labels: trend.map((point) => day(point.start, by)),
      datasets: [
        { type: "bar", label: "95% interval", data: percents((p) => p.share_interval.map(round)),
          backgroundColor: BAND, barPercentage: 1, categoryPercentage: 1, order: 1 },
        { label: "share of runs naming the brand", data: percents((p) => round(p.share)),
          borderColor: LINE, backgroundColor: LINE, fill: false, order: 0 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: 100, ticks: { callback: (value) => `${value}%` } } },
      interaction: { mode: "index", intersect: false },
    },
  }));
}

function trendTable(trend, by) {
  const box = el("table", { class: "trend" },
    el("thead", {}, el("tr", {}, ["Period", "Runs", "Naming it", "Share", "95% interval",
                                  "Mean position"].map((h) => el("th", {}, h)))),
    el("tbody"));
  table(box.tBodies[0], trend, (point) => [day(point.start, by), point.runs, point.named,
    percent(point.share), interval(point.share_interval), point.mean_position ?? "–"]);
  return el("div", { class: "scroll" }, box);
}

function cited(row) {
  const domains = Object.entries(row.cited_domains);
  return el("div", { class: "cited" },
    el("h4", {}, "Most-cited pages"),
    row.cited_pages.length ? el("ul", { class: "rows" }, row.cited_pages.map((page) => el("li", {},
      link(page.url), ` · cited by ${page.answers}`,
      page.mentions.length ? ` · ${page.mentions.length} in the index` : null)))
      : el("p", { class: "hint" }, "No page cited."),
    domains.length ? el("p", { class: "hint" }, "Domains: ",
                        domains.map(([domain, count]) => `${domain} ${count}`).join(", ")) : null);
}

function rowCard(row, by) {
  const canvas = el("canvas", { "aria-label": `Share of runs naming ${row.brand}, per ${by}` });
  const card = el("article", { class: "card visibility-row" },
    el("h3", {}, row.prompt), el("p", { class: "engine" }, row.source),
    el("div", { class: "visibility-grid" },
      figures(row), el("div", { class: "chart-box" }, canvas)),
    trendTable(row.trend, by), cited(row));
  return { card, draw: () => drawTrend(canvas, row.trend, by) };
}

function showAdvocates(advocates) {
  const box = $("v-advocates");
  box.hidden = advocates.length === 0;
  table(box.querySelector("tbody"), advocates, (a) => [
    a.author, a.persona ?? "–", a.score.toFixed(2), link(a.url), a.answers]);
}

async function show() {
  const current = showTurn();
  showError($("visibility-error"), null);
  const by = $("v-interval").value;
  const params = { brand: $("v-brand").value, interval: by,
                   since: dayStart($("v-since").value), until: dayStart($("v-until").value, 1) };
  if (!params.brand) return;
  try {
    const found = await api("/visibility", { params });
    if (!current()) return;
    while (charts.length) charts.pop().destroy();
    showAdvocates(found.advocates_cited);
    const rows = found.visibility.map((row) => rowCard(row, by));
    clear($("v-rows")).append(...(rows.length ? rows.map((r) => r.card)
      : [el("p", { class: "hint" }, "No AI answers for this brand in this period: add an "
             + "ai_answers source to the watchlist, or import saved answers.")]));
    for (const row of rows) row.draw();
  } catch (error) {
    showError($("visibility-error"), error);
  }
}

// The brand the link names, else the one AI answers name most, else the first watched.
async function firstBrand(options, wanted) {
  if (options.some((o) => o.value === wanted)) return wanted;
  const answered = await api("/analytics/top/brand", { params: { q: "kind:ai_answer", size: 1 } });
  return answered[0]?.key ?? options[0]?.value ?? "";
}

export async function initVisibility(brands, params) {
  $("visibility-form").addEventListener("submit", show);
  const options = await brands;
  fillSelect($("v-brand"), options);
  $("v-brand").value = await firstBrand(options, params.get("brand"));
  await show();
}
