// Log in with a wallet already linked to an account: connect, sign a SIWE message.
import { apiFetch } from "./lib/api.js";
import { explain, findProvider, messenger, signIn } from "./lib/ethereum.js";

const root = document.querySelector("[data-wallet-login]");
const $ = (name) => root.querySelector(`[data-${name}]`);
const button = root?.querySelector("button");
let provider = null;
const { say, fail, missing } = messenger(root ?? document);

async function logIn() {
  button.disabled = true;
  try {
    say("Sign the message in your wallet…");
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
    fail(explain(error));
    button.disabled = false;
  }
}

if (root) {
  findProvider(
    (found) => {
      provider = found;
      button.disabled = false;
      $("wallet-hint").hidden = true;
      say("Wallet found. Sign a message to log in; nothing is sent on chain.");
    },
    () => {
      missing();
      $("wallet-hint").textContent = "No wallet to sign with in this browser.";
    },
  );
  button.addEventListener("click", logIn);
}
