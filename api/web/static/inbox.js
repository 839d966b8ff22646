// The inbox view: the mentions that need a response, most urgent first, each with its reasons
// and the parts of its priority; an analyst sets the status and assignee and adds notes, and
// the history shows who changed what. Mention text is untrusted: it goes in as text only.
//
// Other views add buttons to every item by pushing a function to `itemActions`: it gets the
// item (as GET /inbox returns it) and returns a node, or null for none.

import { api, session } from "./api.js";
import { clear, el, fillSelect, formatTime, safeHref, showError } from "./dom.js";

const $ = (id) => document.getElementById(id);
const STATUSES = ["open", "assigned", "answered", "ignored"];
// What the status filter's choices ask for; "waiting" is the API's default (open, assigned).
const SHOWN = { waiting: [], open: ["open"], assigned: ["assigned"], answered: ["answered"],
                ignored: ["ignored"], all: STATUSES };

export const itemActions = [];

function link(url, text) {
  const href = safeHref(url);
  return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, text)
              : el("span", { class: "hint" }, "no web link");
}

function priorityParts(item) {
  const p = item.priority;
  return `reasons ${p.reasons} + reach ${p.reach} + freshness ${p.freshness} + history ${p.history}`;
}

function priority(item) {
  return el("span", { class: "priority", title: priorityParts(item) },
            String(Math.round(item.priority.total)));
}

function meta(item) {
  return el("div", { class: "meta" },
            priority(item),
            el("span", { class: `badge status-${item.status}` }, item.status),
            item.assignee ? el("span", { class: "assignee" }, `→ ${item.assignee}`) : null,
            item.stars !== null ? el("span", { class: "stars" }, `${item.stars.toFixed(1)}★`) : null,
            el("span", { class: "source" }, item.source),
            el("span", { class: "author" }, item.author),
            item.published_at ? el("time", { datetime: item.published_at },
                                   formatTime(item.published_at)) : null,
            item.brands.length ? el("span", { class: "brand" }, item.brands.join(", ")) : null);
}

function historyOf(item) {
  const list = el("ol", { class: "audit" });
  const details = el("details", { class: "history" }, el("summary", {}, "History and notes"), list);
  details.addEventListener("toggle", async () => {
    if (!details.open) return;
    try {
      const full = await api(`/inbox/${encodeURIComponent(item.mention_id)}`);
      clear(list).append(...full.audit.map((a) => el("li", { dataset: { action: a.action } },
        el("time", { datetime: a.at }, formatTime(a.at)), " ",
        el("strong", {}, a.by), el("span", { class: "hint" }, ` (${a.via}) `),
        `${a.action}: `, a.detail)));
    } catch (error) {
      clear(list).append(el("li", { class: "error" }, error.message));
    }
  });
  return details;
}

// One form per item: only what was changed is sent, with the name given at sign-in.
function triageForm(item, onSaved) {
  const status = el("select", { name: "status" },
                    STATUSES.map((s) => el("option", { value: s, selected: s === item.status }, s)));
  const assignee = el("input", { name: "assignee", value: item.assignee ?? "",
                                 placeholder: "nobody", autocomplete: "off" });
  const note = el("input", { name: "note", placeholder: "add a note", autocomplete: "off" });
  const said = el("span", { class: "status", role: "status" });
  const save = async () => {
    const change = { by: session.who() };
    if (status.value !== item.status) change.status = status.value;
    const name = assignee.value.trim();
    if (name !== (item.assignee ?? "")) {
      if (name) change.assignee = name;
      else change.unassign = true;
    }
    if (note.value.trim()) change.note = note.value.trim();
    if (Object.keys(change).length === 1) {
      said.textContent = "Nothing changed.";
      return;
    }
    said.textContent = "saving…";
    try {
      onSaved(await api(`/inbox/${encodeURIComponent(item.mention_id)}`,
                        { method: "PATCH", body: change }));
    } catch (error) {
      said.textContent = error.status === 403
        ? "Triaging needs an analyst key." : `Not saved: ${error.message}`;
    }
  };
  return el("form", { class: "triage", onsubmit: save },
            el("label", {}, "Status ", status),
            el("label", {}, "Assignee ", assignee),
            el("label", { class: "note" }, "Note ", note),
            el("button", { type: "submit" }, "Save"),
            said);
}

function itemCard(item) {
  const card = el("li", { class: "mention inbox-item", dataset: { id: item.mention_id } });
  const render = (it) => {
    card.dataset.status = it.status;
    card.replaceChildren(...[
      meta(it),
      el("ul", { class: "reasons" }, it.reasons.map((r) => el("li", { dataset: { code: r.code } },
                                                               r.detail))),
      el("p", { class: "hint why" }, `priority ${it.priority.total} = ${priorityParts(it)}`),
      it.title ? el("h3", { lang: it.lang || null }, it.title) : null,
      el("p", { class: "text", lang: it.lang || null }, it.text),
      el("div", { class: "actions" }, link(it.url, "Original"),
         ...itemActions.map((action) => action(it)).filter(Boolean)),
      triageForm(it, render),
      historyOf(it),
    ].filter(Boolean));
  };
  render(item);
  return card;
}

async function show() {
  showError($("inbox-error"), null);
  const params = new URLSearchParams();
  for (const status of SHOWN[$("i-status").value] ?? []) params.append("status", status);
  for (const [name, id] of [["brand", "i-brand"], ["reason", "i-reason"], ["assignee", "i-assignee"]]) {
    if ($(id).value.trim()) params.set(name, $(id).value.trim());
  }
  const list = clear($("inbox-items"));
  try {
    const page = await api(`/inbox?${params}`);
    list.append(...page.items.map(itemCard));
    $("inbox-summary").textContent = page.total === 1 ? "1 item" : `${page.total} items`;
    if (page.total > page.items.length) {
      $("inbox-summary").textContent += `, the ${page.items.length} most urgent shown`;
    }
  } catch (error) {
    showError($("inbox-error"), error);
  }
}

export async function initInbox(brands) {
  $("inbox-form").addEventListener("submit", show);
  fillSelect($("i-brand"), await brands);
  await show();
}
