// The logged-in home: live values. Every price from the socket reprices the holdings it
// concerns; the total value, the return and the day's change follow; the watched coins show
// their price and 24 h change as the markets page does.
//
// The server's numbers (trading/dashboard_reads.py) are recomputed with its rules,
// exactly: decimals as BigInt, value = quantity × price to 8 places and percentages to
// 4, rounded half up, then shown through lib/format.js like the server's filters.
import { percent, usd, usdPrice } from "./lib/format.js";
import { connectPrices, statusText } from "./lib/prices.js";
import { add, decimal, mul, percentOf, round, sub, text, ZERO } from "./lib/decimal.js";

// --- Showing a change (templates/trading/_change.html's markup) ---------------------
function showChange(element, value, pct, { percentOnly = false } = {}) {
  if (!element) return;
  const direction = value.n > 0n ? 1 : value.n < 0n ? -1 : 0;
  const change = document.createElement("span");
  change.className = `chg ${direction > 0 ? "chg-up" : direction < 0 ? "chg-down" : "chg-flat"}`;
  const arrow = document.createElement("span");
  arrow.className = "chg-arrow";
  arrow.setAttribute("aria-hidden", "true");
  arrow.textContent = direction > 0 ? "▲" : direction < 0 ? "▼" : "";
  const parts = [arrow];
  if (percentOnly) {
    parts.push(percent(text(value)));
  } else {
    parts.push(`${direction > 0 ? "+" : ""}${usd(text(value))}`);
    if (pct !== null) {
      const ratio = document.createElement("span");
      ratio.className = "chg-pct";
      ratio.textContent = `(${percent(text(pct))})`;
      parts.push(" ", ratio);
    }
  }
  change.replaceChildren(...parts);
  element.replaceChildren(change);
}

// --- Live values ----------------------------------------------------------------
const root = document.querySelector("[data-dashboard]");
// "bitcoin=0.10000000 ethereum=1.00000000": every holding, listed on the page or not.
const held = (root?.dataset.holdings ?? "").split(" ").filter(Boolean).map((pair) => pair.split("="));
const holdings = new Map(held.map(([coin, quantity]) => [coin, { quantity: decimal(quantity) ?? ZERO, price: null }]));
const watched = new Map(
  [...document.querySelectorAll("[data-watch]")].map((row) => [row.dataset.watch, row]),
);

function render() {
  const cash = decimal(root.dataset.cash) ?? ZERO;
  let total = cash;
  for (const [coin, holding] of holdings) {
    if (holding.price === null) return; // not every price known yet: keep the server's total
    const value = round(mul(holding.quantity, holding.price), 8);
    total = add(total, value);
    const row = document.querySelector(`[data-holding="${CSS.escape(coin)}"]`);
    if (row) {
      row.querySelector("[data-holding-value]").textContent = usd(text(value));
      row.querySelector("[data-holding-price]").textContent = usdPrice(text(holding.price));
    }
  }
  total = round(total, 8);
  root.querySelector("[data-total]").textContent = usd(text(total));
  const invested = decimal(root.dataset.invested);
  if (invested !== null) {
    const gain = sub(total, invested);
    showChange(root.querySelector("[data-return]"), gain, percentOf(gain, invested));
  }
  const baseline = decimal(root.dataset.baseline);
  if (baseline !== null) {
    const change = sub(total, baseline);
    showChange(root.querySelector("[data-day-change]"), change, percentOf(change, baseline));
  }
}

function onPrices(prices) {
  let changed = false;
  for (const price of prices) {
    const holding = holdings.get(price.id);
    const tick = decimal(price.price_usd);
    if (holding && tick !== null) {
      holding.price = tick;
      changed = true;
    }
    const row = watched.get(price.id);
    if (row) {
      row.querySelector("[data-watch-price]").textContent = usdPrice(price.price_usd);
      const change = decimal(price.change_24h_pct);
      if (change !== null) {
        showChange(row.querySelector("[data-watch-change]"), change, null, { percentOnly: true });
      }
    }
  }
  if (changed) render();
}

if (root && (holdings.size || watched.size)) {
  const status = root.querySelector("[data-live-status]");
  if (status) status.hidden = false;
  connectPrices({
    onPrices,
    onStatus: (state, delay) => statusText(status, state, delay),
    coins: [...new Set([...holdings.keys(), ...watched.keys()])],
  });
}
