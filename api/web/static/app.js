// The dashboard's entry: ask for the API key once per tab, then show the view in the URL's
// hash (#overview, the home view, #compare, #search, #timeline, #alerts, #inbox,
// #advocates, #visibility, #sources). A view's data loads when it is first opened; its controls work from the start.
// A link into a view already open (an overview figure's search) is followed by its revisit.

import { initAdvocates } from "./advocates.js";
import { initAlerts } from "./alerts.js";
import { ApiError, api, session } from "./api.js";
import { optionsOf } from "./dom.js";
import { initInbox } from "./inbox.js";
import { initCompare, initOverview, revisitOverview } from "./overview.js";
import { initSearch, revisitSearch } from "./search.js";
import { initSources } from "./sources.js";
import { initTimeline } from "./timeline.js";
import { initVisibility } from "./visibility.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["overview", "compare", "search", "timeline", "alerts", "inbox", "advocates",
               "visibility", "sources"];
const started = new Map();
let brands = null;

async function knownBrands() {
  brands ??= api("/analytics/top/brand", { params: { size: 100 } })
    .then(optionsOf);
  return brands;
}

const INIT = {
  overview: (params) => initOverview(knownBrands(), params),
  compare: (params) => initCompare(knownBrands(), params),
  search: initSearch,
  timeline: () => initTimeline(knownBrands()),
  alerts: initAlerts,
  inbox: () => initInbox(knownBrands()),
  advocates: () => initAdvocates(knownBrands()),
  visibility: (params) => initVisibility(knownBrands(), params),
  sources: initSources,
};

const REVISIT = { overview: revisitOverview, search: revisitSearch };

function logged(done) {
  return done.catch((error) => {
    if (!(error instanceof ApiError && error.status === 401)) console.error(error);
  });
}

function route() {
  const [name, query = ""] = location.hash.slice(1).split("?");
  const view = VIEWS.includes(name) ? name : "overview";
  for (const other of VIEWS) $(`view-${other}`).hidden = other !== view;
  for (const link of document.querySelectorAll("#tabs a")) {
    link.toggleAttribute("aria-current", link.dataset.view === view);
  }
  const params = new URLSearchParams(query);
  if (!started.has(view)) started.set(view, logged(INIT[view](params)));
  else if (query && REVISIT[view]) started.get(view).then(() => logged(REVISIT[view](params)));
}

function showLogin(message = "") {
  started.clear();
  brands = null;
  $("login").hidden = false;
  $("tabs").hidden = true;
  $("sign-out").hidden = true;
  for (const view of VIEWS) $(`view-${view}`).hidden = true;
  $("login-error").textContent = message;
  $("key").focus();
}

async function signIn(key, who) {
  session.save(key, who);
  try {
    await api("/analytics/top/brand", { params: { size: 1 } });
  } catch (error) {
    showLogin(error.message);
    return;
  }
  $("login").hidden = true;
  $("tabs").hidden = false;
  $("sign-out").hidden = false;
  route();
}

// Every form is handled here, never sent as a page load (which would drop what was typed).
document.addEventListener("submit", (event) => event.preventDefault());
$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("key").value.trim(), $("who").value.trim());
});
$("sign-out").addEventListener("click", () => {
  session.forget();
  showLogin();
});
document.addEventListener("mw:signed-out", (event) => showLogin(event.detail ?? ""));
window.addEventListener("hashchange", () => {
  if (session.key()) route();
});

// `mentionwatch demo` prints a link with the key in the fragment, which never reaches a
// server: it moves into this tab's storage and out of the address bar and history.
const linkedKey = new URLSearchParams(location.hash.slice(1)).get("key");
if (linkedKey) {
  history.replaceState(null, "", location.pathname + location.search);
  signIn(linkedKey, session.who());
} else if (session.key()) signIn(session.key(), session.who());
else showLogin();
