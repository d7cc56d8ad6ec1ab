// The portfolio's value over time, from /api/portfolio/history, drawn with lightweight-charts.
const box = document.querySelector("[data-value-chart]");
const status = document.querySelector("[data-value-status]");
const charts = window.LightweightCharts;

async function draw() {
  try {
    const response = await fetch("/api/portfolio/history", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { points } = await response.json();
    box.dataset.points = String(points.length);
    if (points.length < 2) {
      status.textContent = "Your value over time appears here once you have some history.";
      return;
    }
    const css = getComputedStyle(document.documentElement);
    const chart = charts.createChart(box, {
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: css.getPropertyValue("--text-muted").trim(), attributionLogo: false },
      grid: { vertLines: { visible: false }, horzLines: { color: css.getPropertyValue("--border").trim() } },
      timeScale: { timeVisible: true, borderVisible: false },
      rightPriceScale: { borderVisible: false },
    });
    const series = chart.addSeries(charts.AreaSeries, { lineColor: css.getPropertyValue("--accent").trim(), lineWidth: 2 });
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

if (box && charts) draw();
