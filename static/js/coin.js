// A coin's page: the history chart (line or candles, five ranges) whose last point
// follows the live feed, the live price, change and market data, and the watchlist star.
import { apiFetch } from "./lib/api.js";
import { chartCreate, chartLibrary, chartSeries } from "./lib/chart.js";
import { percent, usdPrice, usdWhole } from "./lib/format.js";
import { applyBadge, connectPrices, statusText } from "./lib/prices.js";
import { starsConnect } from "./lib/watchlist.js";

const page = document.querySelector("[data-coin-page]");
const coinId = page?.dataset.coinPage;
const chartBox = document.querySelector("[data-chart]");
const chartStatus = document.querySelector("[data-chart-status]");

let chart = null;
let series = null;
let kind = "line";
let days = 7;
let lastCandle = null;

async function load() {
  chartStatus.textContent = "Loading…";
  chartBox.setAttribute("aria-busy", "true");
  try {
    const history = await apiFetch(`/api/crypto/${encodeURIComponent(coinId)}/history`, { query: { days } });
    if (series) chart.removeSeries(series);
    series = chartSeries(chart, kind);
    series.applyOptions({ priceFormat: dollarFormat(history.prices.at(-1)?.[1]) });
    if (kind === "line") {
      series.setData(history.prices.map(([ms, value]) => ({ time: Math.floor(ms / 1000), value })));
      lastCandle = null;
    } else {
      series.setData(history.candles);
      lastCandle = history.candles.at(-1) ?? null;
    }
    chart.timeScale().fitContent();
    chartBox.dataset.days = String(days);
    chartBox.dataset.kind = kind;
    chartBox.dataset.points = String(kind === "line" ? history.prices.length : history.candles.length);
    const label = { simulated: " · simulated history", stale: " · last good history (CoinGecko unreachable)" }[history.source] ?? "";
    chartStatus.textContent = `${days === 1 ? "24 hours" : `${days} days`}${label}`;
  } catch (error) {
    chartStatus.textContent = "The chart could not be loaded. Try another range or reload the page.";
  } finally {
    chartBox.removeAttribute("aria-busy");
  }
}

// The price axis in dollars as the page writes prices ("$95,126.44", "$0.1803"), its
// steps fine enough for a coin under a dollar (four significant digits).
function dollarFormat(latest) {
  const size = Math.abs(Number(latest)) || 1;
  const minMove = size >= 1 ? 0.01 : 10 ** (Math.floor(Math.log10(size)) - 3);
  return { type: "custom", formatter: usdPrice, minMove };
}

function follow(price) {
  if (!series || price.price_usd === null) return;
  const time = Math.floor(Date.parse(price.last_updated) / 1000);
  const value = Number(price.price_usd);
  try {
    if (kind === "line") {
      series.update({ time, value });
    } else if (lastCandle && time >= lastCandle.time) {
      lastCandle = { ...lastCandle, high: Math.max(lastCandle.high, value), low: Math.min(lastCandle.low, value), close: value };
      series.update(lastCandle);
    }
  } catch {
    // An update older than the chart's last point is ignored.
  }
}

function press(attribute, value) {
  for (const button of document.querySelectorAll(`[${attribute}]`)) {
    button.setAttribute("aria-pressed", String(button.getAttribute(attribute) === String(value)));
  }
}

if (page && chartBox && chartLibrary()) {
  chart = chartCreate(chartBox);
  load();
  document.querySelectorAll("[data-days]").forEach((button) =>
    button.addEventListener("click", () => {
      days = Number(button.dataset.days);
      press("data-days", days);
      load();
    }),
  );
  document.querySelectorAll("[data-kind]").forEach((button) =>
    button.addEventListener("click", () => {
      kind = button.dataset.kind;
      press("data-kind", kind);
      load();
    }),
  );
}

if (page) {
  const status = page.querySelector("[data-live-status]");
  connectPrices({
    coins: [coinId],
    onStatus: (state, delay) => statusText(status, state, delay),
    onPrices: (prices) => {
      const price = prices.find((p) => p.id === coinId);
      if (!price) return;
      page.querySelector('[data-field="price"]').textContent = usdPrice(price.price_usd);
      const change = page.querySelector('[data-field="change"]');
      change.textContent = price.change_24h_pct === null ? "" : `${percent(price.change_24h_pct)} (24h)`;
      const movement = price.change_24h_pct === null ? "" : String(price.change_24h_pct).startsWith("-") ? "down" : "up";
      change.classList.toggle("change-up", movement === "up");
      change.classList.toggle("change-down", movement === "down");
      for (const [field, value] of [["market_cap", price.market_cap], ["volume", price.volume_24h]]) {
        const cell = document.querySelector(`[data-field="${field}"]`);
        if (cell) cell.textContent = usdWhole(value);
      }
      applyBadge(page.querySelector("[data-source-badge]"), price);
      page.dataset.price = price.price_usd ?? "";
      follow(price);
    },
  });
}

if (page) {
  starsConnect({
    root: page,
    prompt: page.querySelector("[data-login-prompt]"),
    status: page.querySelector("[data-watch-status]"),
  });
}
