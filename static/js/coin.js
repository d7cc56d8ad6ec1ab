// A coin's page: the history chart (line or candles, five ranges) whose last point
// follows the live feed, and the live price in the header.
import { applyBadge, connectPrices, formatChange, formatPrice, statusText } from "./live-prices.js";

const page = document.querySelector("[data-coin-page]");
const coinId = page?.dataset.coinPage;
const chartBox = document.querySelector("[data-chart]");
const chartStatus = document.querySelector("[data-chart-status]");
const { createChart, LineSeries, CandlestickSeries } = window.LightweightCharts ?? {};

const css = getComputedStyle(document.documentElement);
const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;

let chart = null;
let series = null;
let kind = "line";
let days = 7;
let lastCandle = null;

function buildChart() {
  chart = createChart(chartBox, {
    autoSize: true,
    // The logo injects an inline <style> that our CSP refuses; the page credits
    // TradingView in text under the chart instead.
    layout: {
      background: { color: "transparent" },
      textColor: color("--text-muted", "#9aa4b2"),
      attributionLogo: false,
    },
    grid: { vertLines: { visible: false }, horzLines: { color: color("--border", "#2a3140") } },
    rightPriceScale: { borderVisible: false },
    timeScale: { borderVisible: false, timeVisible: true },
  });
}

async function load() {
  chartStatus.textContent = "Loading…";
  chartBox.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(`/api/crypto/${encodeURIComponent(coinId)}/history?days=${days}`, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const history = await response.json();
    if (series) chart.removeSeries(series);
    if (kind === "line") {
      series = chart.addSeries(LineSeries, { color: color("--accent", "#5b8def"), lineWidth: 2 });
      series.setData(history.prices.map(([ms, value]) => ({ time: Math.floor(ms / 1000), value })));
      lastCandle = null;
    } else {
      series = chart.addSeries(CandlestickSeries, {
        upColor: color("--up", "#26a69a"), downColor: color("--down", "#ef5350"),
        borderVisible: false, wickUpColor: color("--up", "#26a69a"), wickDownColor: color("--down", "#ef5350"),
      });
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

function press(group, attribute, value) {
  for (const button of document.querySelectorAll(`[${attribute}]`)) {
    button.setAttribute("aria-pressed", String(button.getAttribute(attribute) === String(value)));
  }
}

if (page && chartBox && createChart) {
  buildChart();
  load();
  document.querySelectorAll("[data-days]").forEach((button) =>
    button.addEventListener("click", () => {
      days = Number(button.dataset.days);
      press("range", "data-days", days);
      load();
    }),
  );
  document.querySelectorAll("[data-kind]").forEach((button) =>
    button.addEventListener("click", () => {
      kind = button.dataset.kind;
      press("kind", "data-kind", kind);
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
      page.querySelector('[data-field="price"]').textContent = formatPrice(price.price_usd);
      const change = page.querySelector('[data-field="change"]');
      change.textContent = price.change_24h_pct === null ? "" : `${formatChange(price.change_24h_pct)} (24h)`;
      applyBadge(page.querySelector("[data-source-badge]"), price);
      page.dataset.price = price.price_usd ?? "";
      follow(price);
    },
  });
}
