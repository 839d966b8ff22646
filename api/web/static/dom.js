// Building the page from data. Mention text is untrusted: everything here goes in as text
// nodes or properties, never as HTML.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Only web links: a javascript: or data: URL from a crawled page must not become a link.
export function safeHref(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'" };

function unescapeHtml(text) {
  return text.replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (entity) => ENTITIES[entity]);
}

// The server's highlight is escaped text with <mark> around matches. Rather than trusting
// it as HTML, split on the two tags, unescape the pieces and rebuild them as text nodes.
export function highlighted(highlight) {
  const parts = highlight.split(/<mark>|<\/mark>/);
  return parts.map((part, i) => (i % 2 ? el("mark", {}, unescapeHtml(part)) : unescapeHtml(part)));
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// Options from /analytics/top buckets: the key filters, the label ("Acme", not the
// casefolded key) is shown.
export function optionsOf(buckets) {
  return buckets.map((b) => ({ value: b.key, label: b.label ?? b.key }));
}

export function fillSelect(select, options) {
  const keep = select.value;
  for (const option of [...select.options].slice(1)) option.remove();
  for (const { value, label } of options) select.append(el("option", { value }, label));
  select.value = options.some((o) => o.value === keep) ? keep : "";
}

// A source that gives a date without a time (a review's "datePublished": "2026-10-03") is
// recorded as midnight UTC; shown in the reader's zone it would gain an invented time and
// even move to the day before. So midnight UTC shows as that UTC date alone: a real moment
// at exactly 00:00:00.000 UTC loses only its "00:00".
function isDateOnly(when) {
  return when.getUTCHours() === 0 && when.getUTCMinutes() === 0 && when.getUTCSeconds() === 0
    && when.getUTCMilliseconds() === 0;
}

export function formatTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return isDateOnly(when)
    ? when.toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" })
    : when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// A change against the period before (a ratio minus 1) as "+25%"; null: nothing before.
export function formatChange(ratio) {
  return ratio === null ? "new" : (ratio > 0 ? "+" : "") + Math.round(ratio * 100) + "%";
}

export function formatNps(nps) {
  return nps === null ? "–" : (nps > 0 ? "+" : "") + Math.round(nps);
}

export function showError(node, error) {
  node.textContent = error ? String(error.message ?? error) : "";
}

// Each cell carries its column's header as data-label: on a phone the rows stack and the
// header row is hidden, so the cell shows its label itself (style.css). `attributes` gives
// a row's own (a row that opens something: its handlers).
export function table(tbody, rows, cells, attributes = () => ({})) {
  const labels = [...(tbody.closest("table").tHead?.rows[0]?.cells ?? [])]
    .map((th) => th.textContent);
  clear(tbody).append(...rows.map((row) => el("tr", attributes(row), cells(row).map(
    (c, i) => el("td", { dataset: { label: labels[i] ?? "" } }, c)))));
}

// Answers can come back out of order (a slow first search, a quick second one): a view asks
// for a turn before each request and draws the answer only if no later turn was taken.
export function turns() {
  let newest = 0;
  return () => {
    const mine = ++newest;
    return () => mine === newest;
  };
}
