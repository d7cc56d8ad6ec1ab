// JSON to and from this site's API, written once for every page: the session cookie goes
// along, a write carries Django's CSRF token (read from its cookie, which is not HttpOnly
// so that page scripts can), and a refusal becomes an ApiError with SPEC's error shape.

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A refusal from the API, `{detail, code, errors?}`: `message` is its `detail`, `field`
 * the first field `errors` names and `reason` that field's own message ("quantity must be
 * a positive number.", where `detail` of a validation error says only "Invalid input.").
 */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = body?.code ?? null;
    const [field, messages] = Object.entries(body?.errors ?? {})[0] ?? [null, null];
    this.field = field;
    this.reason = (Array.isArray(messages) ? messages[0] : messages) ?? this.message;
    this.data = body;
  }
}

function cookie(name) {
  return document.cookie.split("; ").find((c) => c.startsWith(`${name}=`))?.split("=")[1] ?? "";
}

/**
 * `path` with `method`, the JSON `body` and the `query` parameters (an object or
 * URLSearchParams); resolves to the JSON answer (null for 204), rejects with ApiError.
 * `signal` aborts it (an AbortController's).
 */
export async function apiFetch(path, { method = "GET", body, query, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (!SAFE_METHODS.has(method)) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = cookie("csrftoken");
  }
  const search = query ? `?${new URLSearchParams(query)}` : "";
  const response = await fetch(`${path}${search}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  // A proxy's error page is not JSON: the error then says only the status.
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
