// The sources view: the latest crawl runs, with a broken source marked so it stands out.

import { api } from "./api.js";
import { el, formatTime, showError, table } from "./dom.js";

const $ = (id) => document.getElementById(id);

// Why a run looks broken, or "" when it looks healthy.
export function trouble(run) {
  if (run.errors > 0) return `${run.errors} error${run.errors === 1 ? "" : "s"}`;
  if (run.unreadable > 0) return `${run.unreadable} unreadable`;
  if (run.pages === 0) return "no page fetched";
  if (run.finish_reason && run.finish_reason !== "finished") return run.finish_reason;
  return "";
}

export async function initSources() {
  try {
    const runs = await api("/sources");
    const tbody = $("sources").tBodies[0];
    // The reason sits under the source's name, so it shows on a phone without scrolling.
    const source = (r) => [r.source, trouble(r) ? el("small", { class: "error" }, ` ${trouble(r)}`) : null];
    table(tbody, runs, (r) => [source(r), formatTime(r.finished_at), r.pages, r.found, r.new,
                               r.updated, r.errors, r.unreadable, r.finish_reason ?? "",
                               r.asked.join(" ")]);
    runs.forEach((run, i) => tbody.rows[i].classList.toggle("broken", Boolean(trouble(run))));
    if (!runs.length) showError($("sources-error"), "No crawl has run yet: mentionwatch crawl.");
  } catch (error) {
    showError($("sources-error"), error);
  }
}
