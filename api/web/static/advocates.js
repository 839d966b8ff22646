// The advocates view: a brand's leads (who praises it unprompted), by persona, with the
// evidence and the suggested approach, how engaged each is with the brand and when they
// were last asked (outreach, with its cooldown), and the CSV export the CRM takes.

import { api, fetchApi, session } from "./api.js";
import { clear, el, fillSelect, formatTime, safeHref, showError, table } from "./dom.js";

const PURPOSES = ["review_request", "case_study", "beta", "intro", "referral", "content",
  "advisory", "other"];
const OUTCOMES = ["pending", "accepted", "declined", "no_response"];
const words = (name) => name.replaceAll("_", " ");

const $ = (id) => document.getElementById(id);

function links(urls) {
  return urls.map((url, i) => {
    const href = safeHref(url);
    return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" },
                     `#${i + 1}`) : null;
  }).filter(Boolean).flatMap((a, i) => (i ? [" ", a] : [a]));
}

function author(lead) {
  const href = lead.profile_url ? safeHref(lead.profile_url) : null;
  const name = href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" },
                         lead.author) : lead.author;
  return el("span", {}, name, el("br"), el("small", { class: "hint" }, lead.source));
}

// The highest level reached, then when each was: "defends · first mention Oct 1, ...".
function engagement(lead) {
  if (!lead.engagement) return "";
  return el("span", { class: "engagement" }, el("strong", {}, words(lead.engagement)),
    el("ul", { class: "signals" }, lead.engagement_history.map(
      (step) => el("li", {}, `${words(step.level)} ${formatTime(step.at)}`))));
}

// The last contact (its outcome can be changed), the cooldown, and a form to record a new
// one; a contact within the cooldown is refused with the server's reason, then may be forced.
function outreach(lead, brand) {
  const status = el("small", { class: "status", role: "status" });
  const fail = (error) => {
    status.textContent = error.status === 403 ? "Recording needs an analyst key."
      : `Not saved: ${error.message}`;
  };
  const last = lead.last_contacted ? el("span", { class: "last-contact" },
    `Asked ${formatTime(lead.last_contacted)} `,
    el("select", { "aria-label": "Outcome", onchange: async (event) => {
      try {
        await api(`/outreach/${lead.last_contact_id}`, {
          method: "PATCH", body: { outcome: event.target.value } });
        status.textContent = "Outcome saved.";
      } catch (error) {
        fail(error);
      }
    } }, OUTCOMES.map((o) => el("option", { value: o, selected: o === lead.outcome }, words(o)))),
    el("br"), el("small", { class: "hint" }, `cooldown until ${formatTime(lead.cooldown_until)}`))
    : el("small", { class: "hint" }, "never asked");
  const purpose = el("select", { "aria-label": "Purpose" },
                     PURPOSES.map((p) => el("option", { value: p }, words(p))));
  const force = el("button", { type: "button", class: "quiet", hidden: true }, "Record anyway");
  // Until the table is drawn again with the new contact, this row's Outcome is the earlier
  // contact's: its controls wait, so no outcome lands on the wrong contact.
  const hold = (held) => box.querySelectorAll("select, button").forEach((c) => { c.disabled = held; });
  const record = async (forced) => {
    hold(true);
    status.textContent = "Saving…";
    try {
      await api("/outreach", { method: "POST", body: {
        brand, author_key: lead.author_key, purpose: purpose.value,
        contacted_by: session.who(), force: forced } });
      await show();
    } catch (error) {
      hold(false);
      fail(error);
      force.hidden = error.status !== 409;
    }
  };
  force.addEventListener("click", () => record(true));
  const form = el("span", { class: "record" }, purpose,
    el("button", { type: "button", onclick: () => record(false) }, "Record contact"), force);
  const box = el("span", { class: "outreach" }, last, drafter(lead, status), form, status);
  return box;
}

// A reply to the lead's best mention, drafted with their persona's approach, to edit and
// send by hand: nothing is posted.
function drafter(lead, status) {
  const text = el("textarea", { class: "draft", rows: 5, hidden: true, "aria-label": "Draft" });
  const ask = async () => {
    status.textContent = "Drafting…";
    try {
      const draft = await api(`/mentions/${encodeURIComponent(lead.best_mention_id)}/draft`,
                              { method: "POST" });
      text.value = draft.text;
      text.hidden = false;
      status.textContent = "";
    } catch (error) {
      status.textContent = error.status === 403 ? "Drafting needs an analyst key."
        : `No draft: ${error.message}`;
    }
  };
  return el("span", { class: "drafter" },
            el("button", { type: "button", class: "quiet", onclick: ask }, "Draft message"), text);
}

async function show() {
  showError($("advocates-error"), null);
  const brand = $("a-brand").value;
  const tbody = clear($("advocates").tBodies[0]);
  if (!brand) {
    showError($("advocates-error"), "Choose a brand: leads are per brand.");
    return;
  }
  // The server reads every text of the brand's authors with the persona model, loaded on
  // the first request: that one takes seconds, so say what is happening.
  $("advocates-status").textContent = `Finding ${brand}'s advocates…`;
  try {
    const leads = await (await fetchApi("/advocates", { params: { brand } })).json();
    const persona = $("a-persona").value;
    const shown = persona ? leads.filter((lead) => lead.persona === persona) : leads;
    table(tbody, shown, (lead) => [
      author(lead), lead.persona ?? "", lead.score.toFixed(2), engagement(lead),
      outreach(lead, brand),
      el("ul", { class: "signals" }, lead.signals.map((signal) => el("li", {}, signal))),
      links(lead.evidence), lead.approach ?? "",
    ]);
    if (!shown.length) showError($("advocates-error"), "No advocate leads for this choice.");
  } catch (error) {
    showError($("advocates-error"), error);
  } finally {
    $("advocates-status").textContent = "";
  }
}

// The export needs the key header, so it is fetched here and handed to the browser as a file.
async function exportCsv() {
  const brand = $("a-brand").value;
  if (!brand) {
    showError($("advocates-error"), "Choose a brand to export its leads.");
    return;
  }
  try {
    const response = await fetchApi("/advocates/export", { params: { brand, format: "csv" } });
    const header = response.headers.get("Content-Disposition") ?? "";
    const encoded = /filename\*=UTF-8''([^;]+)/.exec(header)?.[1];
    const name = (encoded ? decodeURIComponent(encoded) : /filename="([^"]+)"/.exec(header)?.[1])
      ?? "advocates.csv";
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    showError($("advocates-error"), error);
  }
}

export async function initAdvocates(brands) {
  $("advocates-form").addEventListener("submit", show);
  $("export-csv").addEventListener("click", exportCsv);
  const known = await brands;
  fillSelect($("a-brand"), known);
  if (!$("a-brand").value && known.length) $("a-brand").value = known[0].value;
  await show();
}
