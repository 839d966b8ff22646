// The advocates view: a brand's leads (who praises it unprompted), by persona, with the
// evidence and the suggested approach, and the CSV export the CRM takes.

import { fetchApi } from "./api.js";
import { clear, el, fillSelect, safeHref, showError, table } from "./dom.js";

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
      author(lead), lead.persona ?? "", lead.score.toFixed(2),
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
