// The markets table: prices, 24h change, market cap and volume follow /ws/prices.
import { percent, usdPrice, usdWhole } from "./lib/format.js";
import { applyBadge, connectPrices, statusText } from "./lib/prices.js";

const table = document.querySelector("[data-market-table]");
const status = document.querySelector("[data-live-status]");

function updateRow(price) {
  const row = table.querySelector(`tr[data-coin="${CSS.escape(price.id)}"]`);
  if (!row) return;
  const cell = (name) => row.querySelector(`[data-field="${name}"]`);
  const priceCell = cell("price");
  const badge = priceCell.querySelector("[data-source-badge]");
  const text = usdPrice(price.price_usd);
  if (priceCell.firstChild?.nodeType === Node.TEXT_NODE) {
    if (priceCell.firstChild.textContent.trim() !== text) {
      priceCell.classList.remove("flash");
      void priceCell.offsetWidth;
      priceCell.classList.add("flash");
    }
    priceCell.firstChild.textContent = `${text} `;
  }
  applyBadge(badge, price);
  const change = cell("change");
  change.textContent = percent(price.change_24h_pct);
  change.classList.toggle("change-up", price.change_24h_pct !== null && !String(price.change_24h_pct).startsWith("-"));
  change.classList.toggle("change-down", String(price.change_24h_pct ?? "").startsWith("-"));
  cell("market_cap").textContent = usdWhole(price.market_cap);
  cell("volume").textContent = usdWhole(price.volume_24h);
  row.dataset.price = price.price_usd ?? "";
}

if (table) {
  connectPrices({
    onPrices: (prices) => prices.forEach(updateRow),
    onStatus: (state, delay) => statusText(status, state, delay),
  });
}
