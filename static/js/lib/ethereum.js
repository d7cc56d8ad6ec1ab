// Shared by the wallet pages: finding the browser's wallet, explaining its refusals,
// Sign-In with Ethereum messages, and amounts in wei and gwei as a person reads them.
// (Their API calls go through ./api.js; dollars and quantities through ./format.js.)
import { quantity } from "./format.js";

export const USER_REJECTED = 4001;
const NONE = "—";

export function explain(error) {
  if (error?.code === USER_REJECTED) return "You declined the request in your wallet.";
  return error?.message ?? String(error);
}

/**
 * The wallet pages' messages, one at a time: news in the status line (`data-wallet-status`,
 * role=status), refusals in the alert (`data-wallet-error`, role=alert, announced), and
 * "no wallet" from the page's `<template data-wallet-missing-text>`, links and all.
 */
export function messenger(root) {
  const status = root.querySelector("[data-wallet-status]");
  const alert = root.querySelector("[data-wallet-error]");
  const show = (kind, ...content) => {
    alert.textContent = "";
    status.replaceChildren(...content);
    status.dataset.kind = kind;
    status.hidden = false;
  };
  return {
    say: (text, kind = "info") => show(kind, text),
    show, // (kind, ...nodes): news with links in it
    fail: (text) => {
      status.replaceChildren();
      status.hidden = true;
      alert.textContent = text;
    },
    missing: () => show("error", root.querySelector("template[data-wallet-missing-text]").content.cloneNode(true)),
  };
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

/** "0.01" ETH to wei as a BigInt at `decimals` places; null when it is not a plain amount. */
export function toWei(amount, decimals) {
  const [whole, fraction = "", ...rest] = amount.trim().split(".");
  if (rest.length || !/^\d*$/.test(whole) || !/^\d*$/.test(fraction) || !(whole || fraction)) return null;
  if (fraction.length > decimals) return null;
  return BigInt(whole || "0") * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/** Wei (a BigInt or its digits) to the whole decimal text of the native coin: "0.002". */
export function fromWei(wei, decimals) {
  const value = BigInt(wei);
  const base = 10n ** BigInt(decimals);
  const fraction = (value % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${value / base}${fraction ? `.${fraction}` : ""}`;
}

/** A native amount with its symbol, by the quantity rule: "0.0000315 ETH"; a dust amount
 * that rounds away at 8 places says so instead of reading 0. */
export function nativeText(amount, symbol) {
  if (amount === null || amount === undefined || amount === "") return NONE;
  const shown = quantity(amount);
  const dust = Number(amount) > 0 && Number(amount) < 0.00000001;
  return `${dust ? "< 0.00000001" : shown} ${symbol}`.trim();
}

const gweiLarge = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const gweiSmall = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 3 });

/** A fee per gas in gwei: two places from 1 gwei ("12.35 gwei"), three significant
 * digits under it ("0.001 gwei"), so a quiet L2's tip never reads 0. */
export function gweiText(value) {
  if (value === null || value === undefined || value === "") return NONE;
  const number = Number(value);
  if (!Number.isFinite(number)) return NONE;
  return `${(Math.abs(number) >= 1 ? gweiLarge : gweiSmall).format(number)} gwei`;
}

/** "0x90f8…c9c1": an address or hash shortened for a narrow column (the full one in its title). */
export function shortHex(text, head = 6, tail = 4) {
  return text.length > head + tail + 1 ? `${text.slice(0, head)}…${text.slice(-tail)}` : text;
}

/** A link to `path` on a chain's explorer (opened apart from this site), or plain text
 * when the chain has no explorer (the local dev chain). */
export function explorerLink(explorer, path, text, title = "") {
  const element = document.createElement(explorer ? "a" : "span");
  element.textContent = text;
  if (title) element.title = title;
  if (explorer) {
    element.href = `${explorer}/${path}`;
    element.target = "_blank";
    element.rel = "noopener noreferrer";
  }
  return element;
}
