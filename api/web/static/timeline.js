// The timeline view: mentions per hour/day/week for a brand, stacked by sentiment, with the
// intervals an alert fired in marked. A bar (or its row in the table under the chart) opens
// that interval's mentions.

import { api } from "./api.js";
import {
  clear, el, fillSelect, formatChange, formatNps, formatTime, showError, table, turns,
} from "./dom.js";
import { mentionCard } from "./mentions.js";
import { dayStart, recentDays } from "./search.js";

const $ = (id) => document.getElementById(id);
const COLOURS = { positive: "#2e7d32", neutral: "#9e9e9e", negative: "#c62828",
                  alert: "#ef6c00" };

let chart = null;
const showTurn = turns();
const bucketTurn = turns();
let shown = { buckets: [], until: null, brand: "" };

async function defaultRange() {
  const { since, until } = await recentDays(30);
  // Dates the user already typed win over the default.
  if (!$("t-until").value) $("t-until").value = until;
  if (!$("t-since").value) $("t-since").value = since;
}

function label(start, interval) {
  const when = new Date(start);
  const options = interval === "hour"
    ? { month: "short", day: "numeric", hour: "2-digit", timeZone: "UTC" }
    : { month: "short", day: "numeric", timeZone: "UTC" };
  return when.toLocaleString(undefined, options);
}

async function openBucket(index) {
  const bucket = shown.buckets[index];
  if (!bucket) return;
  const end = shown.buckets[index + 1]?.start ?? shown.until;
  const title = $("bucket-title");
  title.hidden = false;
  title.textContent = `${bucket.count} mention${bucket.count === 1 ? "" : "s"} from `
    + `${formatTime(bucket.start)} to ${formatTime(end)}`;
  const list = clear($("bucket-results"));
  const current = bucketTurn();
  try {
    const found = await api("/mentions", { params: {
      brand: shown.brand, since: bucket.start, until: end, sort: "newest", size: 100,
    } });
    if (!current()) return;
    list.append(...found.results.map((hit) => mentionCard(hit.mention, null, hit.duplicates)));
    if (found.total > found.results.length) {
      list.append(el("li", { class: "hint" }, `and ${found.total - found.results.length} more`));
    }
  } catch (error) {
    list.append(el("li", { class: "error" }, error.message));
  }
}

// The alerts (from the history) whose window overlaps each bucket, for the brand shown.
async function alertsPerBucket(buckets, until, brand) {
  let history = [];
  try {
    history = await api("/alerts", { params: { limit: 500 } });
  } catch {
    return buckets.map(() => []);  // a key or server without alerts: no markers
  }
  const alerts = history.map((stored) => stored.alert).filter((alert) => alert.field === "brand"
    && (!brand || alert.subject.toLowerCase() === brand.toLowerCase()));
  return buckets.map((bucket, index) => {
    const start = new Date(bucket.start);
    const end = new Date(buckets[index + 1]?.start ?? until);
    return alerts.filter((alert) => new Date(alert.window_start) < end
                                    && new Date(alert.window_end) > start);
  });
}

function draw(buckets, interval, alerts) {
  const labels = buckets.map((b) => label(b.start, interval));
  const datasets = ["positive", "neutral", "negative"].map((name) => ({
    label: name, data: buckets.map((b) => b[name]), backgroundColor: COLOURS[name], stack: "all",
  }));
  // A marker on top of every bar an alert fired in; its own stack, so it sits at the total.
  datasets.push({
    type: "line", label: "alert", stack: "alerts", showLine: false, pointStyle: "triangle",
    pointRadius: 8, backgroundColor: COLOURS.alert, borderColor: COLOURS.alert,
    data: buckets.map((b, i) => (alerts[i].length ? b.count : null)),
  });
  if (!window.Chart) {
    showError($("timeline-error"),
              "The chart library is not installed (run `make install`); the table below has the counts.");
    return;
  }
  if (chart) chart.destroy();
  chart = new window.Chart($("timeline-chart"), {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      onClick: (event, elements) => {
        if (elements.length) openBucket(elements[0].index);
      },
      interaction: { mode: "index", intersect: false },
    },
  });
}

// NPS per month beside the chart, where the server has the report route.
async function showNps(brand) {
  const box = $("nps");
  try {
    const rows = await api("/reports/nps", { params: { brand, period: "month" } });
    box.hidden = rows.length === 0;
    clear(box).append(
      el("h3", {}, "NPS by month"),
      el("table", {}, el("thead", {}, el("tr", {}, ["Month", "Brand", "NPS", "Rated NPS", "n"]
        .map((h) => el("th", {}, h)))),
        el("tbody", {}, rows.slice(-12).map((row) => el("tr", {},
          el("td", {}, row.period), el("td", {}, row.brand), el("td", {}, formatNps(row.all.nps)),
          el("td", {}, formatNps(row.rated.nps)), el("td", {}, row.all.total))))),
      el("p", { class: "hint" }, "NPS counts estimates from sentiment where a mention has no rating;"
         + " rated NPS counts rated mentions only."));
  } catch {
    box.hidden = true;  // no report route on this server: the chart stands alone
  }
}

// What the range's mentions praise or blame, per aspect, against the range before it.
async function showAspects(brand, since, until) {
  const rows = await api("/analytics/aspects", { params: { brand, since, until } });
  $("aspects-table").hidden = rows.length === 0;
  table($("aspects-table").tBodies[0], rows, (row) => [
    row.aspect, row.count, row.positive, row.neutral, row.negative,
    Math.round(row.negative_share * 100) + "%", formatChange(row.change)]);
}

async function show() {
  const current = showTurn();
  showError($("timeline-error"), null);
  const interval = $("t-interval").value;
  const since = dayStart($("t-since").value);
  const until = dayStart($("t-until").value, 1);
  shown = { buckets: [], until, brand: $("t-brand").value };
  clear($("bucket-results"));
  clear($("timeline-table").tBodies[0]);
  $("bucket-title").hidden = true;
  try {
    const buckets = await api("/analytics/histogram", {
      params: { since, until, interval, brand: shown.brand, tz: "UTC" },
    });
    const alerts = await alertsPerBucket(buckets, until, shown.brand);
    if (!current()) return;
    shown.buckets = buckets;
    draw(buckets, interval, alerts);
    showNps(shown.brand);
    await showAspects(shown.brand, since, until);
    const rows = buckets.map((b, index) => ({ ...b, index }))
      .filter((b) => b.count > 0 || alerts[b.index].length);
    table($("timeline-table").tBodies[0], rows, (b) => [
      label(b.start, interval), b.count, b.positive, b.neutral, b.negative,
      alerts[b.index].map((alert) => alert.summary).join("; ") || null,  // none: an empty cell
    ], (b) => ({
      tabindex: "0", dataset: { index: b.index }, onclick: () => openBucket(b.index),
      class: alerts[b.index].length ? "alerted" : null,
      onkeydown: (event) => { if (event.key === "Enter") openBucket(b.index); },
    }));
  } catch (error) {
    showError($("timeline-error"), error);
  }
}

export async function initTimeline(brands) {
  $("timeline-form").addEventListener("submit", show);
  fillSelect($("t-brand"), await brands);
  await defaultRange();
  await show();
}
