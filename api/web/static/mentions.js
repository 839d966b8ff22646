// One mention as a result card: text with highlights, source, stars, sentiment badge, link to
// the original and the one-click sentiment correction.

import { api, session } from "./api.js";
import { el, formatTime, highlighted, safeHref } from "./dom.js";

const LABELS = ["positive", "neutral", "negative"];

function stars(rating) {
  // On a 5-point reading whatever the source's scale, as the query language's rating>= does.
  const filled = Math.round(1 + rating.normalized * 4);
  return el("span", { class: "stars", title: `${rating.value} of ${rating.best}`,
                      "aria-label": `rated ${rating.value} of ${rating.best}` },
            "★".repeat(filled) + "☆".repeat(5 - filled));
}

function badge(sentiment) {
  if (!sentiment) return el("span", { class: "badge unscored" }, "not scored");
  const how = sentiment.corrected_by ? `corrected by ${sentiment.corrected_by}`
    : `model ${sentiment.model}, confidence ${Math.round(sentiment.confidence * 100)}%`;
  return el("span", { class: `badge ${sentiment.label}`, title: how }, sentiment.label,
            sentiment.corrected_by ? el("small", {}, ` · corrected by ${sentiment.corrected_by}`) : null);
}

// What the text alone says, when the rating or a person made the overall label differ: a
// 5-star review that complains shows "text: negative" beside its positive badge.
function textSays(mention) {
  const text = mention.text_sentiment;
  if (!text || !mention.sentiment || text.label === mention.sentiment.label) return null;
  return el("span", { class: `text-sentiment ${text.label}`,
                      title: `the text alone: model ${text.model}, confidence ${Math.round(text.confidence * 100)}%` },
            `text: ${text.label}`);
}

function corrector(mention, onCorrected) {
  const status = el("span", { class: "status", role: "status" });
  const current = mention.sentiment?.label;
  const buttons = LABELS.map((label) => el("button", {
    type: "button", class: `label-${label}`, "aria-pressed": String(label === current),
    title: `Mark this mention ${label}`, dataset: { label },
    onclick: async () => {
      status.textContent = "saving…";
      try {
        const corrected = await api(`/mentions/${encodeURIComponent(mention.id)}/sentiment`, {
          method: "PUT", body: { label, by: session.who() },
        });
        onCorrected(corrected);
      } catch (error) {
        status.textContent = error.status === 403
          ? "Correcting needs an analyst key." : `Not saved: ${error.message}`;
      }
    },
  }, label));
  return el("span", { class: "correct" }, el("span", { class: "hint" }, "Sentiment:"), buttons, status);
}

// The same text syndicated to other URLs (the search shows its earliest copy): "also at N
// places", opening to the first few of them.
function alsoAt(duplicates) {
  if (!duplicates || duplicates.count === 0) return null;
  const { count, urls } = duplicates;
  const links = urls.map((url) => {
    const href = safeHref(url);
    return el("li", {}, href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, url)
                             : url);
  });
  const more = count > urls.length ? el("li", { class: "hint" }, `and ${count - urls.length} more`) : null;
  return el("details", { class: "duplicates" },
            el("summary", {}, `also at ${count} place${count === 1 ? "" : "s"}`),
            el("ul", {}, links, more));
}

export function mentionCard(mention, highlight = null, duplicates = null) {
  const href = safeHref(mention.url);
  const card = el("li", { class: "mention", dataset: { id: mention.id } });
  const render = (m) => {
    const parts = [
      el("div", { class: "meta" },
         badge(m.sentiment),
         textSays(m),
         m.rating ? stars(m.rating) : null,
         el("span", { class: "source" }, m.source),
         el("span", {}, m.source_domain),
         el("span", { class: "author" }, m.author.name),
         m.published_at ? el("time", { datetime: m.published_at }, formatTime(m.published_at)) : null,
         m.brand ? el("span", { class: "brand" }, m.brand) : null,
         m.lang ? el("span", { class: "lang" }, m.lang) : null),
      m.title ? el("h3", { lang: m.lang || null }, m.title) : null,
      el("p", { class: "text", lang: m.lang || null },
         highlight ? highlighted(highlight) : m.text),
      el("div", { class: "actions" },
         href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, "Original")
              : el("span", { class: "hint" }, "no web link"),
         corrector(m, render)),
      alsoAt(duplicates),
    ];
    card.replaceChildren(...parts.filter(Boolean));
  };
  render(mention);
  return card;
}
