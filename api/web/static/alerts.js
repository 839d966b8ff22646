// The alerts view: the history (each alert with its explanation: baseline, count, top terms,
// sources, example mentions), the configured rules, and what a rule would have fired.

import { api } from "./api.js";
import { clear, el, formatTime, safeHref, showError, table } from "./dom.js";

const $ = (id) => document.getElementById(id);
const DRY_RUN_DAYS = 30;  // "what would have fired last month"

function counts(pairs) {
  return pairs.map(([name, n]) => `${name} (${n})`).join(", ");
}

function example(item) {
  const href = safeHref(item.url);
  return el("li", {},
            el("span", { class: "hint" }, `${item.source} · ${formatTime(item.published_at)} `),
            href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, "open")
                 : null,
            el("br"), item.text);
}

// The alert's figures in its rule type's words ("unanswered for 23 days (limit 24 h)"); an
// alert kept before payloads had them shows them bare.
function figures(alert) {
  if (alert.reading) return alert.reading;
  return `observed ${alert.observed}, baseline ${Number(alert.baseline).toFixed(1)}`
    + (alert.z === null || alert.z === undefined ? "" : `, z ${Number(alert.z).toFixed(1)}`);
}

// One alert payload, as the notifiers send it and the history keeps it.
export function alertItem(alert, raisedAt = null) {
  const why = alert.explanation;
  return el("li", { class: "alert" },
    el("strong", {}, alert.summary),
    el("div", { class: "hint" },
       `${alert.rule} (${alert.type}) on ${alert.subject} · `
       + `${formatTime(alert.window_start)} – ${formatTime(alert.window_end)}`
       + (raisedAt ? ` · raised ${formatTime(raisedAt)}` : "")),
    el("div", { class: "reading" }, figures(alert)),
    why?.top_terms?.length ? el("div", {}, "Top terms: ", counts(why.top_terms)) : null,
    why?.top_aspects?.length
      ? el("div", {}, "Aspects more mentioned than usual: ", why.top_aspects
          .map(([aspect, count, usual]) => `${aspect} ${count} (usually ${usual})`).join(", "))
      : null,
    why?.top_sources?.length ? el("div", {}, "Sources: ", counts(why.top_sources)) : null,
    why?.examples?.length ? el("ul", { class: "examples" }, why.examples.map(example)) : null);
}

function subject(rule) {
  if (rule.options.by === "source") return "every source";
  return rule.brands.length ? rule.brands.join(", ") : "every brand";
}

async function dryRun(rule) {
  const title = $("dry-run-title");
  title.hidden = false;
  title.textContent = `What ${rule.name} would have fired in the last ${DRY_RUN_DAYS} days`;
  const list = clear($("dry-run"));
  const since = new Date(Date.now() - DRY_RUN_DAYS * 86_400_000).toISOString();
  try {
    const alerts = await api("/alerts/test", { params: { rule: rule.name, since } });
    list.append(...(alerts.length ? alerts.map((a) => alertItem(a))
      : [el("li", { class: "quiet-alert" }, "Nothing would have fired.")]));
  } catch (error) {
    list.append(el("li", { class: "error" }, error.message));
  }
}

export async function initAlerts() {
  try {
    const history = await api("/alerts");
    clear($("alert-history")).append(...(history.length
      ? history.map((stored) => alertItem(stored.alert, stored.created_at))
      : [el("li", { class: "quiet-alert" }, "No alert has fired.")]));
  } catch (error) {
    showError($("alerts-error"), error);
    return;
  }
  try {
    const rules = await api("/alerts/rules");
    table($("alert-rules").tBodies[0], rules, (rule) => [
      rule.name, rule.type, subject(rule),
      el("code", {}, Object.entries(rule.options).filter(([name]) => name !== "by")
        .map(([name, value]) => `${name} ${value}`).join(", ")),
      el("button", { type: "button", class: "quiet", onclick: () => dryRun(rule) },
         "What would have fired?"),
    ]);
  } catch (error) {
    showError($("alerts-error"), error);
  }
}
