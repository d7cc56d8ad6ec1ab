// Shared by the wallet pages: finding the browser's wallet, explaining its refusals, and
// Sign-In with Ethereum messages. (Their API calls go through ./api.js.)
export const USER_REJECTED = 4001;

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
