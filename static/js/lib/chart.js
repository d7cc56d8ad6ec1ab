// Charts with lightweight-charts, themed in one place. The library is the global that
// static/vendor's standalone build defines; its <script defer> comes before the page's
// module, so it has run by the time a page module does.

// The site's colours, from its CSS custom properties (these when a sheet lacks one).
const FALLBACK = {
  "--text-muted": "#9aa4b2",
  "--border": "#2a3140",
  "--accent": "#5b8def",
  "--up": "#26a69a",
  "--down": "#ef5350",
};

/** The lightweight-charts library, or null when its script did not load. */
export function chartLibrary() {
  return window.LightweightCharts ?? null;
}

function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || FALLBACK[name];
}

/** A chart in `box` that follows its size, in the site's colours. */
export function chartCreate(box) {
  return chartLibrary().createChart(box, {
    autoSize: true,
    // The logo injects an inline <style> that our CSP refuses; the pages credit
    // TradingView in text under the chart instead.
    layout: { background: { color: "transparent" }, textColor: color("--text-muted"), attributionLogo: false },
    grid: { vertLines: { visible: false }, horzLines: { color: color("--border") } },
    rightPriceScale: { borderVisible: false },
    timeScale: { borderVisible: false, timeVisible: true },
  });
}

/** A series of `kind` ("line", "area" or "candles") on `chart`, in the site's colours. */
export function chartSeries(chart, kind) {
  const library = chartLibrary();
  if (kind === "candles") {
    const up = color("--up");
    const down = color("--down");
    return chart.addSeries(library.CandlestickSeries, {
      upColor: up,
      downColor: down,
      borderVisible: false,
      wickUpColor: up,
      wickDownColor: down,
    });
  }
  if (kind === "area") return chart.addSeries(library.AreaSeries, { lineColor: color("--accent"), lineWidth: 2 });
  return chart.addSeries(library.LineSeries, { color: color("--accent"), lineWidth: 2 });
}
