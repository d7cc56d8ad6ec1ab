// Log in with a wallet already linked to an account: connect, sign a SIWE message.
import { apiFetch } from "./lib/api.js";
import { explain, findProvider, signIn } from "./lib/ethereum.js";

const root = document.querySelector("[data-wallet-login]");
const button = root?.querySelector("button");
const message = root?.querySelector("[data-wallet-message]");
let provider = null;

function say(text, kind = "info") {
  message.textContent = text;
  message.dataset.kind = kind;
}

async function logIn() {
  button.disabled = true;
  try {
    const [account] = await provider.request({ method: "eth_requestAccounts" });
    const chainId = Number(await provider.request({ method: "eth_chainId" }));
    const { nonce } = await apiFetch("/api/wallets/nonce", { method: "POST" });
    const signed = await signIn(provider, {
      account,
      chainId,
      nonce,
      host: root.dataset.host,
      origin: root.dataset.origin,
      statement: "Log in to CryptoVault.",
    });
    await apiFetch("/api/wallets/login", { method: "POST", body: signed });
    say("Logged in.", "ok");
    window.location.assign(root.dataset.next || "/markets/");
  } catch (error) {
    say(explain(error), "error");
    button.disabled = false;
  }
}

if (root) {
  findProvider(
    (found) => {
      provider = found;
      button.disabled = false;
      say("Wallet found. Sign a message to log in; nothing is sent on chain.");
    },
    () => say("No browser wallet found. Install MetaMask (metamask.io), or log in with your email.", "error"),
  );
  button.addEventListener("click", logIn);
}
