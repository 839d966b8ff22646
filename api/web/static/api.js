// Calls to the mentionwatch API with the key the user gave, kept for this tab only.

const KEY = "mentionwatch.key";
const WHO = "mentionwatch.who";

export class ApiError extends Error {
  constructor(status, message, position = null) {
    super(message);
    this.status = status;
    this.position = position;
  }
}

export const session = {
  key: () => sessionStorage.getItem(KEY),
  who: () => sessionStorage.getItem(WHO) || "dashboard",
  save(key, who) {
    sessionStorage.setItem(KEY, key);
    if (who) sessionStorage.setItem(WHO, who);
  },
  forget() {
    sessionStorage.removeItem(KEY);
  },
};

function apiUrl(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  return url;
}

// The raw Response, for callers that want a file rather than JSON (CSV export).
export async function fetchApi(path, { params, method = "GET", body } = {}) {
  const headers = { "X-API-Key": session.key() ?? "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(apiUrl(path, params), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.ok) return response;
  let error = {};
  try {
    error = (await response.json()).error ?? {};
  } catch {
    // Not our JSON error shape (a proxy's page, say): the status line says enough.
  }
  if (response.status === 401) {
    session.forget();
    document.dispatchEvent(new CustomEvent("mw:signed-out", { detail: error.message }));
  }
  throw new ApiError(response.status, error.message || `${response.status} ${response.statusText}`,
                     error.position ?? null);
}

export async function api(path, options) {
  return (await fetchApi(path, options)).json();
}
