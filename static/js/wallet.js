// The wallet page: gas on every chain this server reaches (no wallet needed); find a
// browser wallet (EIP-6963, else window.ethereum), connect, switch or add the chain
// (EIP-3326 / EIP-3085), link the address with Sign-In with Ethereum (EIP-4361,
// personal_sign), send a transfer and follow it to its receipt.
import { apiFetch } from "./lib/api.js";
import { explain, explorerLink, findProvider, fromWei, messenger, nativeText, shortHex, signIn, toWei } from "./lib/ethereum.js";
import { gasTiles } from "./lib/gas.js";
import { moment, usd } from "./lib/format.js";

const root = document.querySelector("[data-wallet]");
const $ = (name) => root.querySelector(`[data-${name}]`);
const state = { provider: null, account: null, chainId: null, historyTimer: null, busy: false };
const PENDING_POLL_MS = 5000;
const UNKNOWN_CHAIN = 4902;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const { say, show, fail, missing } = messenger(root ?? document);
const gasBoard = root && gasTiles(root);

function chainOption(chainId) {
  return [...$("wallet-chain-select").options].find((o) => Number(o.value) === Number(chainId));
}

function chainOf(chainId) {
  const option = chainOption(chainId);
  return {
    name: option?.dataset.name ?? `Chain ${chainId}`,
    symbol: option?.dataset.symbol ?? "",
    decimals: Number(option?.dataset.decimals ?? 18),
    explorer: option?.dataset.explorer ?? "",
  };
}

// --- Connection ------------------------------------------------------------------------

// Transfers are recorded (and followed) for the account's linked addresses only.
function linked() {
  const account = state.account?.toLowerCase();
  return [...$("wallet-linked").children].some((li) => li.dataset.linkedAddress?.toLowerCase() === account);
}

function setEnabled() {
  const ready = Boolean(state.account) && !state.busy;
  for (const name of ["wallet-switch", "wallet-link", "send-submit"]) $(name).disabled = !ready;
  $("wallet-connect").disabled = !state.provider || state.busy || Boolean(state.account);
  $("wallet-connect").textContent = state.account ? "Connected" : "Connect wallet";
  $("wallet-hint").hidden = Boolean(state.account);
  $("send-hint").textContent = !state.account
    ? "Connect your wallet to send. Your wallet shows the fee and asks you to confirm."
    : linked()
      ? "Your wallet shows the fee and asks you to confirm before anything is sent."
      : "Link this address to your account first (Connection, above): the page records and follows transfers from linked addresses.";
}

async function refresh() {
  const chain = chainOf(state.chainId);
  const address = $("wallet-address");
  address.replaceChildren(state.account ? explorerLink(chain.explorer, `address/${state.account}`, state.account) : "Not connected");
  address.classList.toggle("wallet-mono", Boolean(state.account));
  $("wallet-chain").textContent = !state.chainId ? "—" : chainOption(state.chainId) ? `${chain.name} (${state.chainId})` : `Unsupported chain ${state.chainId}`;
  if (chainOption(state.chainId)) $("wallet-chain-select").value = String(state.chainId);
  setEnabled();
  gasBoard.mark(state.account ? state.chainId : null);
  if (!state.account) {
    $("wallet-balance").textContent = "—";
    return;
  }
  $("send-symbol").textContent = chain.symbol || "ETH";
  try {
    const wei = await state.provider.request({ method: "eth_getBalance", params: [state.account, "latest"] });
    $("wallet-balance").textContent = nativeText(fromWei(wei, chain.decimals), chain.symbol);
  } catch {
    $("wallet-balance").textContent = "Unavailable from your wallet";
  }
}

// Keeps the page's buttons off while the wallet is asked something, so one click is one request.
async function busy(work) {
  state.busy = true;
  setEnabled();
  try {
    await work();
  } finally {
    state.busy = false;
    setEnabled();
  }
}

async function connect() {
  await busy(async () => {
    try {
      say("Waiting for your wallet…");
      const [account] = await state.provider.request({ method: "eth_requestAccounts" });
      state.account = account ?? null;
      state.chainId = Number(await state.provider.request({ method: "eth_chainId" }));
      say("Connected.", "ok");
    } catch (error) {
      fail(explain(error));
    }
  });
  await refresh();
}

async function addChain(option) {
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
}

async function switchChain() {
  const option = $("wallet-chain-select").selectedOptions[0];
  await busy(async () => {
    try {
      await state.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: option.dataset.hex }] });
      say(`Switched to ${option.dataset.name}.`, "ok");
    } catch (error) {
      const code = error?.code ?? error?.data?.originalError?.code ?? error?.data?.orginalError?.code;
      if (code !== UNKNOWN_CHAIN) return fail(explain(error));
      try {
        await addChain(option);
        say(`Added ${option.dataset.name} to your wallet.`, "ok");
      } catch (addError) {
        fail(explain(addError));
      }
    }
  });
}

// --- Linked addresses -------------------------------------------------------------------

function linkedItem(wallet) {
  const chain = chainOf(wallet.chain_id);
  const item = document.createElement("li");
  item.dataset.linkedAddress = wallet.address;
  const text = Object.assign(document.createElement("div"), { className: "linked-text" });
  const address = explorerLink(chain.explorer, `address/${wallet.address}`, wallet.address);
  address.className = "wallet-mono wallet-address";
  const about = Object.assign(document.createElement("span"), { className: "muted small", textContent: `${chain.name} · linked ${moment(wallet.linked_at)}` });
  text.append(address, " ", about);
  const button = Object.assign(document.createElement("button"), { type: "button", className: "button button-ghost button-compact", textContent: "Unlink" });
  button.dataset.unlink = wallet.address;
  button.setAttribute("aria-label", `Unlink ${wallet.address}`);
  item.append(text, button);
  return item;
}

async function link() {
  await busy(async () => {
    try {
      say("Sign the message in your wallet to link this address; nothing is sent on chain.");
      const { nonce } = await apiFetch("/api/wallets/nonce", { method: "POST" });
      const signed = await signIn(state.provider, {
        account: state.account,
        chainId: state.chainId,
        nonce,
        host: root.dataset.host,
        origin: root.dataset.origin,
        statement: "Link this wallet to your CryptoVault account.",
      });
      const wallet = await apiFetch("/api/wallets", { method: "POST", body: signed });
      const list = $("wallet-linked");
      list.querySelector("[data-empty]")?.remove();
      if (![...list.children].some((li) => li.dataset.linkedAddress === wallet.address)) list.append(linkedItem(wallet));
      say(`Linked ${wallet.address} to your account.`, "ok");
    } catch (error) {
      fail(explain(error));
    }
  });
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
    setEnabled();
  } catch (error) {
    button.disabled = false;
    fail(explain(error));
  }
}

// --- Send -------------------------------------------------------------------------------

function fieldError(name, text) {
  const form = $("send-form");
  form.querySelector(`[data-field-error="${name}"]`).textContent = text;
  if (text) form.elements[name].setAttribute("aria-invalid", "true");
  else form.elements[name].removeAttribute("aria-invalid");
  form.elements[name].closest(".field").classList.toggle("field-invalid", Boolean(text));
}

// The transfer the form describes, or null after saying beside each field what is wrong.
function transfer(form) {
  const chain = chainOf(state.chainId);
  const to = form.elements.to.value.trim();
  const wei = toWei(form.elements.amount.value, chain.decimals);
  fieldError("to", ADDRESS.test(to) ? "" : "Enter an address: 0x and 40 hex digits.");
  fieldError("amount", wei !== null && wei > 0n ? "" : `Enter a positive amount of ${chain.symbol || "the native coin"}, like 0.01.`);
  if (!ADDRESS.test(to) || wei === null || wei <= 0n) return null;
  return { to, wei, chain };
}

async function send(event) {
  event.preventDefault();
  const form = event.target;
  if (!state.account) return fail("Connect your wallet first.");
  if (!linked()) return fail("Link this address to your account before sending from it: transfers are recorded for linked addresses only.");
  const order = transfer(form);
  if (!order) return form.querySelector("[aria-invalid]")?.focus();
  const { to, wei, chain } = order;
  await busy(async () => {
    try {
      const estimate = await apiFetch(`/api/chains/${state.chainId}/estimate`, {
        method: "POST",
        body: { from: state.account, to, value_wei: wei.toString() },
      });
      const dollars = estimate.cost_usd ? ` (≈ ${usd(estimate.cost_usd)})` : "";
      $("send-estimate").textContent = `Network fee about ${nativeText(estimate.cost_native, chain.symbol)}${dollars} for ${estimate.gas_limit.toLocaleString("en-US")} gas.`;
      say("Confirm the transfer in your wallet…");
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
      show("ok", "Sent: ", explorerLink(chain.explorer, `tx/${hash}`, hash));
      form.reset();
      $("send-estimate").textContent = "";
    } catch (error) {
      fail(explain(error));
    }
  });
  await history();
  await refresh();
}

// --- History: pending transactions are looked up again every few seconds until they settle

function cell(content, label, className = "") {
  const td = document.createElement("td");
  td.dataset.label = label;
  td.className = className;
  td.append(content);
  return td;
}

function historyRow(tx) {
  const chain = chainOf(tx.chain_id);
  const tr = document.createElement("tr");
  tr.dataset.hash = tx.hash;
  const status = Object.assign(document.createElement("span"), { className: `tx-status tx-${tx.status}`, textContent: tx.status });
  const fee = document.createElement("span");
  fee.textContent = tx.fee_wei ? nativeText(fromWei(tx.fee_wei, chain.decimals), chain.symbol) : "—";
  if (tx.gas_used) fee.append(Object.assign(document.createElement("span"), { className: "muted small tx-gas", textContent: `${Number(tx.gas_used).toLocaleString("en-US")} gas` }));
  tr.append(
    cell(moment(tx.created_at), "When"),
    cell(explorerLink(chain.explorer, `tx/${tx.hash}`, shortHex(tx.hash, 10, 6), tx.hash), "Transaction", "wallet-mono"),
    cell(chain.name, "Network"),
    cell(tx.to_address ? explorerLink(chain.explorer, `address/${tx.to_address}`, shortHex(tx.to_address), tx.to_address) : "—", "To", "wallet-mono"),
    cell(nativeText(fromWei(tx.value_wei, chain.decimals), chain.symbol), "Amount", "num wallet-mono"),
    cell(status, "Status"),
    cell(fee, "Fee", "num wallet-mono"),
  );
  return tr;
}

async function history() {
  window.clearTimeout(state.historyTimer);
  try {
    const rows = await apiFetch("/api/wallets/transactions");
    if (!rows.length) return;
    if (rows.some((tx) => tx.status === "pending")) state.historyTimer = window.setTimeout(history, PENDING_POLL_MS);
    $("history").querySelector("tbody").replaceChildren(...rows.map(historyRow));
  } catch {
    // the history stays as it was
  }
}

function use(provider) {
  if (state.provider) return;
  state.provider = provider;
  setEnabled();
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
  findProvider(use, missing);
  $("wallet-connect").addEventListener("click", connect);
  $("wallet-switch").addEventListener("click", switchChain);
  $("wallet-link").addEventListener("click", link);
  $("send-form").addEventListener("submit", send);
  $("wallet-linked").addEventListener("click", unlink);
  gasBoard.follow();
  history();
}
