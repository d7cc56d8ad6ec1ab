// Shared by the wallet pages: wallet discovery, the JSON API with CSRF, SIWE messages.
export const USER_REJECTED = 4001;

export function cookie(name) {
  return document.cookie.split("; ").find((c) => c.startsWith(`${name}=`))?.split("=")[1] ?? "";
}

export async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(path, {
    method,
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw Object.assign(new Error(data?.detail ?? `HTTP ${response.status}`), { data });
  return data;
}

export function explain(error) {
  if (error?.code === USER_REJECTED) return "You declined the request in your wallet.";
  return error?.message ?? String(error);
}

// EIP-6963 discovery first, window.ethereum after a short wait; null when there is none.
export function findProvider(onFound, onMissing) {
  let found = null;
  const use = (provider) => {
    if (!found) {
      found = provider;
      onFound(provider);
    }
  };
  window.addEventListener("eip6963:announceProvider", (event) => use(event.detail.provider));
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  window.setTimeout(() => {
    if (window.ethereum) use(window.ethereum);
    if (!found) onMissing();
  }, 300);
}

// An EIP-4361 message for this site, signed with personal_sign (hex-encoded UTF-8).
export async function signIn(provider, { account, chainId, nonce, host, origin, statement }) {
  const now = Date.now();
  const message = [
    `${host} wants you to sign in with your Ethereum account:`,
    account, // wallets report lowercase; the server accepts that form or EIP-55
    "",
    statement,
    "",
    `URI: ${origin}/wallet/`,
    "Version: 1",
    `Chain ID: ${chainId}`,
    `Nonce: ${nonce}`,
    `Issued At: ${new Date(now).toISOString()}`,
    `Expiration Time: ${new Date(now + 5 * 60 * 1000).toISOString()}`,
  ].join("\n");
  const hex = `0x${[...new TextEncoder().encode(message)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const signature = await provider.request({ method: "personal_sign", params: [hex, account] });
  return { message, signature };
}
