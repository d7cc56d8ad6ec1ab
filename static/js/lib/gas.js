// "Gas now" on the wallet page: one tile per chain this server reaches
// (`[data-gas-chain]`), filled from GET /api/chains/<id>/gas whether or not a wallet is
// connected, refreshed while the page is in view. Fees per gas in gwei, the transfer in
// dollars by the display rules (./format.js), the native amount beside it.
import { apiFetch } from "./api.js";
import { explain, gweiText, nativeText } from "./ethereum.js";
import { moment, usd } from "./format.js";

const REFRESH_MS = 15000; // the server caches a chain's report a few seconds; this is the page's pace

function show(tile, gas) {
  const symbol = tile.dataset.symbol;
  const part = (name) => tile.querySelector(`[data-${name}]`);
  const dollars = gas.transfer_cost.usd;
  part("gas-usd").textContent = dollars ? `≈ ${usd(dollars)}` : nativeText(gas.transfer_cost.native, symbol);
  part("gas-native").textContent = dollars ? nativeText(gas.transfer_cost.native, symbol) : "(no dollar price for it here)";
  for (const tier of tile.querySelectorAll("[data-gas-tier]")) tier.textContent = gweiText(gas.priority_fee_gwei?.[tier.dataset.gasTier]);
  if (part("gas-base")) part("gas-base").textContent = gweiText(gas.base_fee_gwei);
  if (part("gas-price")) part("gas-price").textContent = gweiText(gas.gas_price_gwei);
  part("gas-state").textContent = "";
  tile.dataset.state = "ok";
}

async function load(tile) {
  try {
    show(tile, await apiFetch(`/api/chains/${tile.dataset.gasChain}/gas`));
  } catch (error) {
    tile.dataset.state = "error";
    tile.querySelector("[data-gas-usd]").textContent = "Unavailable";
    tile.querySelector("[data-gas-native]").textContent = "";
    tile.querySelector("[data-gas-state]").textContent = explain(error);
  }
}

/** The tiles under `root`: `follow()` loads and keeps them fresh; `mark(chainId)` badges
 * the connected wallet's chain (null: none). */
export function gasTiles(root) {
  const tiles = () => [...root.querySelectorAll("[data-gas-chain]")];
  const updated = root.querySelector("[data-gas-updated]");
  const refresh = async () => {
    if (document.hidden || !tiles().length) return;
    await Promise.all(tiles().map(load));
    if (updated) updated.textContent = `Updated ${moment(new Date())} · every 15 s`;
  };
  return {
    follow() {
      refresh();
      window.setInterval(refresh, REFRESH_MS);
      document.addEventListener("visibilitychange", () => !document.hidden && refresh());
    },
    mark(chainId) {
      for (const tile of tiles()) {
        const yours = chainId !== null && Number(tile.dataset.gasChain) === chainId;
        tile.classList.toggle("is-yours", yours);
        tile.querySelector("[data-gas-yours]").hidden = !yours;
      }
    },
  };
}
