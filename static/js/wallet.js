// The wallet page: find a browser wallet (EIP-6963, else window.ethereum), connect,
// switch or add the chain (EIP-3326 / EIP-3085), link the address with Sign-In with
// Ethereum (EIP-4361, personal_sign), show gas, send a transfer and follow it.
import { apiFetch } from "./lib/api.js";
import { explain, findProvider, signIn } from "./lib/ethereum.js";
import { usd } from "./lib/format.js";

const root = document.querySelector("[data-wallet]");
const $ = (name) => root.querySelector(`[data-${name}]`);
const state = { provider: null, account: null, chainId: null, historyTimer: null };
const PENDING_POLL_MS = 5000;
const UNKNOWN_CHAIN = 4902;

function say(text, kind = "info") {
  const box = $("wallet-message");
  box.textContent = text;
  box.dataset.kind = kind;
}

function chainOption(chainId) {
  return [...$("wallet-chain-select").options].find((o) => Number(o.value) === chainId);
}

function toWei(amount, decimals) {
  const [whole, fraction = ""] = amount.trim().split(".");
  if (!/^\d+$/.test(whole || "0") || !/^\d*$/.test(fraction) || fraction.length > decimals) return null;
  return BigInt(whole || "0") * 10n ** BigInt(decimals) + BigInt((fraction + "0".repeat(decimals)).slice(0, decimals) || "0");
}

function fromWei(wei, decimals) {
  const base = 10n ** BigInt(decimals);
  const fraction = (wei % base).toString().padStart(decimals, "0").replace(/0+$/, "").slice(0, 6);
  return `${wei / base}${fraction ? `.${fraction}` : ""}`;
}

async function refresh() {
  const option = chainOption(state.chainId);
  $("wallet-address").textContent = state.account ?? "—";
  $("wallet-chain").textContent = option ? `${option.dataset.name} (${state.chainId})` : state.chainId ? `Unsupported chain ${state.chainId}` : "—";
  if (option) $("wallet-chain-select").value = option.value;
  for (const name of ["wallet-switch", "wallet-link", "send-submit"]) $(name).disabled = !state.account;
  if (!state.account) return;
  $("send-symbol").textContent = option?.dataset.symbol ?? "ETH";
  try {
    const balance = BigInt(await state.provider.request({ method: "eth_getBalance", params: [state.account, "latest"] }));
    $("wallet-balance").textContent = `${fromWei(balance, 18)} ${option?.dataset.symbol ?? ""}`;
  } catch (error) {
    $("wallet-balance").textContent = "unavailable";
  }
  loadGas();
}

async function loadGas() {
  if (!state.chainId || !chainOption(state.chainId)) return;
  try {
    const gas = await apiFetch(`/api/chains/${state.chainId}/gas`);
    $("gas").hidden = false;
    $("gas-status").textContent = `${chainOption(state.chainId).dataset.name}, refreshed every 15 seconds.`;
    $("gas-base").textContent = gas.base_fee_gwei ? `${gas.base_fee_gwei} gwei` : "— (legacy pricing)";
    const p = gas.priority_fee_gwei;
    $("gas-priority").textContent = p ? `${p.slow} / ${p.standard} / ${p.fast} gwei` : "—";
    $("gas-price").textContent = `${gas.gas_price_gwei} gwei`;
    const dollars = gas.transfer_cost.usd ? ` (${usd(gas.transfer_cost.usd)})` : "";
    $("gas-transfer").textContent = `${gas.transfer_cost.native} ${chainOption(state.chainId).dataset.symbol}${dollars}`;
  } catch (error) {
    $("gas").hidden = true;
    $("gas-status").textContent = `Gas is not available for this chain here: ${explain(error)}`;
  }
}

async function connect() {
  try {
    const [account] = await state.provider.request({ method: "eth_requestAccounts" });
    state.account = account;
    state.chainId = Number(await state.provider.request({ method: "eth_chainId" }));
    say("Connected.", "ok");
    await refresh();
  } catch (error) {
    say(explain(error), "error");
  }
}

async function switchChain() {
  const option = $("wallet-chain-select").selectedOptions[0];
  try {
    await state.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: option.dataset.hex }] });
    say(`Switched to ${option.dataset.name}.`, "ok");
  } catch (error) {
    const code = error?.code ?? error?.data?.originalError?.code ?? error?.data?.orginalError?.code;
    if (code !== UNKNOWN_CHAIN) return say(explain(error), "error");
    try {
      await state.provider.request({
        method: "wallet_addEthereumChain",
        params: [{
          chainId: option.dataset.hex,
          chainName: option.dataset.name,
          nativeCurrency: { name: option.dataset.nativeName, symbol: option.dataset.symbol, decimals: Number(option.dataset.decimals) },
          rpcUrls: [option.dataset.publicRpc],
          blockExplorerUrls: option.dataset.explorer ? [option.dataset.explorer] : undefined,
        }],
      });
      say(`Added ${option.dataset.name} to your wallet.`, "ok");
    } catch (addError) {
      return say(explain(addError), "error");
    }
  }
}

async function link() {
  try {
    const { nonce } = await apiFetch("/api/wallets/nonce", { method: "POST" });
    const { message, signature } = await signIn(state.provider, {
      account: state.account,
      chainId: state.chainId,
      nonce,
      host: root.dataset.host,
      origin: root.dataset.origin,
      statement: "Link this wallet to your CryptoVault account.",
    });
    const wallet = await apiFetch("/api/wallets", { method: "POST", body: { message, signature } });
    const list = $("wallet-linked");
    list.querySelector("[data-empty]")?.remove();
    if (![...list.children].some((li) => li.dataset.linkedAddress === wallet.address)) list.append(linkedItem(wallet));
    say(`Linked ${wallet.address} to your account.`, "ok");
  } catch (error) {
    say(explain(error), "error");
  }
}

function linkedItem(wallet) {
  const item = document.createElement("li");
  item.dataset.linkedAddress = wallet.address;
  const address = Object.assign(document.createElement("span"), { className: "mono", textContent: wallet.address });
  const chain = Object.assign(document.createElement("span"), { className: "muted small", textContent: `(chain ${wallet.chain_id})` });
  const button = Object.assign(document.createElement("button"), { type: "button", className: "button button-ghost button-compact", textContent: "Unlink" });
  button.dataset.unlink = wallet.address;
  button.setAttribute("aria-label", `Unlink ${wallet.address}`);
  item.append(address, " ", chain, " ", button);
  return item;
}

async function unlink(event) {
  const button = event.target.closest("button[data-unlink]");
  if (!button) return;
  const address = button.dataset.unlink;
  button.disabled = true;
  try {
    await apiFetch(`/api/wallets/${address}`, { method: "DELETE" });
    button.closest("li").remove();
    const list = $("wallet-linked");
    if (!list.children.length) list.append(Object.assign(document.createElement("li"), { className: "muted", textContent: "None yet." }));
    say(`Unlinked ${address}.`, "ok");
  } catch (error) {
    button.disabled = false;
    say(explain(error), "error");
  }
}

async function send(event) {
  event.preventDefault();
  const form = event.target;
  const option = chainOption(state.chainId);
  const to = form.to.value.trim();
  const wei = toWei(form.amount.value, Number(option?.dataset.decimals ?? 18));
  if (!/^0x[0-9a-fA-F]{40}$/.test(to)) return say("Enter a 0x address of 40 hex digits.", "error");
  if (wei === null || wei <= 0n) return say("Enter a positive amount.", "error");
  try {
    const estimate = await apiFetch(`/api/chains/${state.chainId}/estimate`, {
      method: "POST",
      body: { from: state.account, to, value_wei: wei.toString() },
    });
    $("send-estimate").textContent = `Gas ${estimate.gas_limit}, about ${estimate.cost_native} ${option.dataset.symbol}${estimate.cost_usd ? ` (${usd(estimate.cost_usd)})` : ""} in fees.`;
    const hash = await state.provider.request({
      method: "eth_sendTransaction",
      params: [{
        from: state.account,
        to,
        value: `0x${wei.toString(16)}`,
        gas: `0x${estimate.gas_limit.toString(16)}`,
        maxFeePerGas: `0x${BigInt(estimate.max_fee_per_gas_wei).toString(16)}`,
        maxPriorityFeePerGas: `0x${BigInt(estimate.max_priority_fee_per_gas_wei).toString(16)}`,
      }],
    });
    await apiFetch("/api/wallets/transactions", { method: "POST", body: { chain_id: state.chainId, hash } });
    say(`Sent: ${hash}`, "ok");
    form.reset();
    await history();
    await refresh();
  } catch (error) {
    say(explain(error), "error");
  }
}

function value(tx) {
  const option = chainOption(tx.chain_id);
  return `${fromWei(BigInt(tx.value_wei), Number(option?.dataset.decimals ?? 18))} ${option?.dataset.symbol ?? ""}`.trim();
}

// Pending transactions are looked up again every few seconds until they settle.
async function history() {
  window.clearTimeout(state.historyTimer);
  try {
    const rows = await apiFetch("/api/wallets/transactions");
    const body = $("history").querySelector("tbody");
    if (!rows.length) return;
    if (rows.some((tx) => tx.status === "pending")) state.historyTimer = window.setTimeout(history, PENDING_POLL_MS);
    body.replaceChildren(
      ...rows.map((tx) => {
        const tr = document.createElement("tr");
        tr.dataset.hash = tx.hash;
        for (const [text, cls] of [[`${tx.hash.slice(0, 10)}…`, "mono"], [String(tx.chain_id), ""], [tx.to_address, "mono"], [value(tx), "num mono"], [tx.status, ""], [tx.gas_used ?? "—", "num mono"]]) {
          const td = document.createElement("td");
          td.textContent = text;
          td.className = cls;
          tr.append(td);
        }
        return tr;
      }),
    );
  } catch {
    // the history stays as it was
  }
}

function use(provider) {
  if (state.provider) return;
  state.provider = provider;
  $("wallet-connect").disabled = false;
  say("Wallet found. Connect to continue.");
  provider.on?.("accountsChanged", (accounts) => {
    state.account = accounts[0] ?? null;
    if (!state.account) say("Your wallet disconnected this site.");
    refresh();
  });
  provider.on?.("chainChanged", (chainId) => {
    state.chainId = Number(chainId);
    refresh();
  });
}

if (root) {
  findProvider(use, () => say("No browser wallet found. Install MetaMask (metamask.io) and reload this page.", "error"));
  $("wallet-connect").addEventListener("click", connect);
  $("wallet-switch").addEventListener("click", switchChain);
  $("wallet-link").addEventListener("click", link);
  $("send-form").addEventListener("submit", send);
  $("wallet-linked").addEventListener("click", unlink);
  window.setInterval(() => state.account && loadGas(), 15000);
  history();
}
