// The portfolio page: the value chart and its ranges (GET /api/portfolio/history), and
// live values. Every `cv:price` event from the price socket reprices a holding; its value,
// P&L and allocation, the total, the return since start and the donut follow at once.
//
// The page recomputes the server's numbers (trading/portfolio.py) with the same rules,
// exactly: decimals as BigInt (value = quantity × price to 8 places, percentages to 4,
// both rounded half up), shown through lib/format.js like the server's filters.
import { apiFetch } from "./lib/api.js";
import { chartCreate, chartLibrary, chartSeries } from "./lib/chart.js";
import { moment, percent, usd, usdPrice, usdWhole } from "./lib/format.js";
import { connectPrices, statusText } from "./lib/prices.js";
import { add, decimal, equal, mul, percentOf, round, sign, sub, text, ZERO } from "./lib/decimal.js";

// --- Showing numbers ------------------------------------------------------------
/** A share of the total: "27.29%" (no sign: it is a part, not a change). */
const share = (value) => (value === null ? "—" : percent(text(value)).replace(/^\+/, ""));

/** Rewrite a `[data-pnl]` (templates/trading/_portfolio_pnl.html) for `value` and `pct`. */
function showPnl(element, value, pct) {
  if (!element) return;
  const direction = sign(value);
  element.className = `pnl ${direction > 0 ? "pnl-up" : direction < 0 ? "pnl-down" : "pnl-flat"}`;
  const arrow = document.createElement("span");
  arrow.className = "pnl-arrow";
  arrow.setAttribute("aria-hidden", "true");
  arrow.textContent = direction > 0 ? "▲" : direction < 0 ? "▼" : "";
  const amount = document.createElement("span");
  amount.dataset.pnlUsd = "";
  amount.textContent = `${direction > 0 ? "+" : ""}${usd(text(value))}`;
  const parts = [arrow, amount];
  if (pct !== undefined) {
    const ratio = document.createElement("span");
    ratio.className = "pnl-pct";
    ratio.dataset.pnlPct = "";
    ratio.textContent = `(${percent(text(pct))})`;
    parts.push(" ", ratio);
  }
  element.replaceChildren(...parts);
}

function flash(element) {
  if (!element) return;
  element.classList.remove("pf-flash");
  void element.offsetWidth; // restart the animation
  element.classList.add("pf-flash");
}

// --- Live values ----------------------------------------------------------------
const root = document.querySelector("[data-portfolio]");
const rows = [...document.querySelectorAll("[data-holdings] tr[data-coin]")];
const holdings = new Map(
  rows.map((row) => [
    row.dataset.coin,
    {
      row,
      quantity: decimal(row.dataset.quantity) ?? ZERO,
      cost: decimal(row.dataset.cost) ?? ZERO,
      price: decimal(row.dataset.price),
    },
  ]),
);

function valueOf(holding) {
  return holding.price === null ? ZERO : round(mul(holding.quantity, holding.price), 8);
}

let liveTotal = null;
let pending = false;

/** The total, the return, the unrealized P&L and every allocation, from the rows' values. */
function renderTotals() {
  pending = false;
  const cash = decimal(root.dataset.cash) ?? ZERO;
  const invested = decimal(root.dataset.invested) ?? ZERO;
  let total = cash;
  let unrealized = ZERO;
  const values = new Map();
  for (const [coin, holding] of holdings) {
    const value = valueOf(holding);
    values.set(coin, value);
    total = add(total, value);
    if (holding.price !== null) unrealized = add(unrealized, sub(value, holding.cost));
  }
  total = round(total, 8);
  liveTotal = total;
  root.querySelector('[data-stat="total"]').textContent = usd(text(total));
  const gain = sub(total, invested);
  showPnl(root.querySelector('[data-stat="return"] [data-pnl]'), gain, percentOf(gain, invested) ?? undefined);
  showPnl(root.querySelector('[data-stat="unrealized"] [data-pnl]'), unrealized);

  values.set("USD", cash);
  let start = ZERO;
  for (const item of root.querySelectorAll("[data-allocation] li[data-slice]")) {
    const key = item.dataset.slice;
    const value = values.get(key) ?? ZERO;
    const pct = percentOf(value, total);
    item.querySelector("[data-slice-pct]").textContent = share(pct);
    item.querySelector("[data-slice-value]").textContent = usd(text(value));
    const arc = root.querySelector(`[data-donut] [data-slice="${CSS.escape(key)}"]`);
    if (arc) {
      arc.setAttribute("stroke-dasharray", `${text(pct ?? ZERO)} 100`);
      arc.setAttribute("stroke-dashoffset", `-${text(start)}`);
    }
    start = add(start, pct ?? ZERO);
    const row = holdings.get(key)?.row;
    if (row) row.querySelector('[data-cell="allocation"]').textContent = share(pct);
  }
  root.dataset.liveTotal = text(total);
  followChart();
}

function reprice(coin, priceText) {
  const holding = holdings.get(coin);
  const price = decimal(priceText);
  if (!holding || price === null) return;
  if (holding.price !== null && equal(holding.price, price)) return;
  holding.price = price;
  const { row } = holding;
  row.dataset.price = priceText;
  const value = valueOf(holding);
  const gain = sub(value, holding.cost);
  row.querySelector('[data-cell="price"]').textContent = usdPrice(priceText);
  row.querySelector('[data-cell="value"]').textContent = usd(text(value));
  showPnl(row.querySelector('[data-cell="pnl"] [data-pnl]'), gain, percentOf(gain, holding.cost) ?? undefined);
  row.dataset.updates = String(Number(row.dataset.updates ?? 0) + 1);
  flash(row.querySelector('[data-cell="price"]'));
  if (!pending) {
    pending = true;
    queueMicrotask(renderTotals);
  }
}

// --- The value chart ------------------------------------------------------------
const box = document.querySelector("[data-value-chart]");
const status = document.querySelector("[data-value-status]");
const RANGE_WORDS = { "1d": "Over the last 24 hours", "7d": "Over the last 7 days", "30d": "Over the last 30 days", all: "Since the start" };
let chart = null;
let series = null;
let lastTime = 0;
let request = 0;
let shown = null; // the range on the chart and its first value, for the summary

// Axis ticks: whole dollars once the ticks are a dollar or more apart, else cents.
function axisPrices(prices) {
  const step = prices.length > 1 ? Math.abs(prices[1] - prices[0]) : 0;
  return prices.map((price) => (step >= 1 ? usdWhole(price) : usd(price)));
}

// The time axis in the reader's zone (the chart's own labels would be UTC).
const tickFormats = [
  new Intl.DateTimeFormat(undefined, { year: "numeric" }),
  new Intl.DateTimeFormat(undefined, { month: "short" }),
  new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" }),
  new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" }),
  // Seconds only where the chart spans so little that minutes would repeat.
  new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
];
const tickMark = (time, type) => (tickFormats[type] ?? tickFormats[3]).format(new Date(time * 1000));

function summary(range, first, last) {
  const change = last - first;
  const ratio = first ? percent(((change / first) * 100).toFixed(2)) : "—";
  return `${RANGE_WORDS[range]}: ${usd(first.toFixed(2))} to ${usd(last.toFixed(2))}, ${change > 0 ? "+" : ""}${usd(change.toFixed(2))} (${ratio}). Cash plus coins at the prices of the time. Charts by TradingView Lightweight Charts™.`;
}

async function draw(range) {
  const mine = ++request;
  box.dataset.range = range;
  box.setAttribute("aria-busy", "true");
  status.textContent = "Loading…";
  try {
    const { points } = await apiFetch("/api/portfolio/history", { query: { range } });
    if (mine !== request) return; // an answer to an older choice
    shown = null;
    box.dataset.points = String(points.length);
    // The chart takes one point a second: of two in the same second, the first is kept.
    const data = [];
    for (const [ms, value] of points) {
      const time = Math.floor(ms / 1000);
      if (!data.length || time > data.at(-1).time) data.push({ time, value });
    }
    if (data.length < 2) {
      series?.setData([]);
      lastTime = 0;
      shown = null;
      status.textContent = "Your value over time appears here once you have some history.";
      return;
    }
    if (!series) series = chartSeries(chart, "area");
    series.setData(data);
    lastTime = data.at(-1).time;
    chart.timeScale().fitContent();
    shown = { range, first: data[0].value };
    status.textContent = summary(range, shown.first, data.at(-1).value);
  } catch {
    if (mine === request) status.textContent = "The chart could not be loaded; choose a range again or reload the page.";
  } finally {
    if (mine === request) box.removeAttribute("aria-busy");
  }
}

// The chart's last point and its summary follow the live total.
function followChart() {
  if (!series || !lastTime || !shown || liveTotal === null) return;
  const time = Math.max(lastTime, Math.floor(Date.now() / 1000));
  const value = Number(text(liveTotal));
  try {
    series.update({ time, value });
    lastTime = time;
  } catch {
    return; // a point older than the chart's last one is ignored
  }
  status.textContent = summary(shown.range, shown.first, value);
}

if (box && chartLibrary()) {
  chart = chartCreate(box);
  chart.applyOptions({
    rightPriceScale: { scaleMargins: { top: 0.15, bottom: 0.1 } },
    localization: {
      priceFormatter: (price) => usd(price),
      tickmarksPriceFormatter: axisPrices,
      timeFormatter: (time) => moment(time * 1000),
    },
    timeScale: { tickMarkFormatter: tickMark },
  });
  const buttons = [...document.querySelectorAll(".pf-segmented button[data-range]")];
  for (const button of buttons) {
    button.addEventListener("click", () => {
      for (const other of buttons) other.setAttribute("aria-pressed", String(other === button));
      draw(button.dataset.range);
    });
  }
  draw(box.dataset.range || "all");
}

if (root && holdings.size) {
  document.addEventListener("cv:price", (event) => reprice(event.detail.coin, event.detail.price));
  const live = document.querySelector("[data-live-status]");
  connectPrices({ coins: [...holdings.keys()], onPrices: () => {}, onStatus: (state, delay) => statusText(live, state, delay) });
}
