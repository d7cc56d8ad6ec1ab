// The portfolio's value over time, from /api/portfolio/history, drawn with lightweight-charts.
import { apiFetch } from "./lib/api.js";
import { chartCreate, chartLibrary, chartSeries } from "./lib/chart.js";

const box = document.querySelector("[data-value-chart]");
const status = document.querySelector("[data-value-status]");

async function draw() {
  try {
    const { points } = await apiFetch("/api/portfolio/history");
    box.dataset.points = String(points.length);
    if (points.length < 2) {
      status.textContent = "Your value over time appears here once you have some history.";
      return;
    }
    const chart = chartCreate(box);
    const series = chartSeries(chart, "area");
    // The chart takes one point a second: of two in the same second, the first is kept.
    const seen = new Set();
    const data = [];
    for (const [ms, value] of points) {
      const time = Math.floor(ms / 1000);
      if (!seen.has(time)) {
        seen.add(time);
        data.push({ time, value });
      }
    }
    series.setData(data);
    chart.timeScale().fitContent();
    status.textContent = "Cash plus coins at the prices of the time. Charts by TradingView Lightweight Charts™.";
  } catch {
    status.textContent = "The chart could not be loaded; reload the page to try again.";
  }
}

if (box && chartLibrary()) draw();
