// The /ws/prices stream: reconnects with backoff, reports its state, and re-announces
// every price as a `cv:price` event on document (the trade ticket listens to it).

const MAX_DELAY_MS = 30000;

export function connectPrices({ onPrices, onStatus, coins = null }) {
  let delay = 1000;
  let socket = null;
  let pingTimer = null;
  let stopped = false;

  const open = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/prices`);
    onStatus?.("connecting");

    socket.addEventListener("open", () => {
      delay = 1000;
      onStatus?.("live");
      if (coins) socket.send(JSON.stringify({ type: "subscribe", coins }));
      pingTimer = window.setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, 25000);
    });

    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type !== "snapshot" && message.type !== "prices") return;
      for (const price of message.prices) {
        document.dispatchEvent(
          new CustomEvent("cv:price", {
            detail: { coin: price.id, price: price.price_usd, source: price.source, at: price.last_updated },
          }),
        );
      }
      onPrices(message.prices, message);
    });

    socket.addEventListener("close", () => {
      window.clearInterval(pingTimer);
      if (stopped) return;
      onStatus?.("reconnecting", delay);
      const wait = delay + Math.random() * 500;
      delay = Math.min(delay * 2, MAX_DELAY_MS);
      window.setTimeout(open, wait);
    });
  };

  open();
  return () => {
    stopped = true;
    socket?.close();
  };
}

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 4 });
const usdWhole = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

export function formatPrice(value) {
  if (value === null || value === undefined) return "—";
  const number = Number(value);
  return number >= 1 ? usd.format(number) : usdSmall.format(number);
}

export function formatWhole(value) {
  return value === null || value === undefined ? "—" : usdWhole.format(Number(value));
}

export function formatChange(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(2)}%`;
}

export function applyBadge(badge, price) {
  if (!badge) return;
  badge.className = "badge";
  badge.hidden = price.source === "coingecko";
  if (price.source === "stale") {
    badge.classList.add("badge-warn");
    const age = price.age_seconds ? ` · ${Math.round(price.age_seconds)}s old` : "";
    badge.textContent = `stale${age}`;
    badge.title = "CoinGecko could not be reached; this is the last good price";
  } else if (price.source === "simulated") {
    badge.classList.add("badge-sim");
    badge.textContent = "simulated";
    badge.title = "Simulated price: CoinGecko is not in use";
  }
}

export function statusText(element, state, delay) {
  if (!element) return;
  element.dataset.state = state;
  element.textContent = {
    connecting: "Connecting to live prices…",
    live: "Live",
    reconnecting: `Connection lost; retrying in ${Math.round((delay || 1000) / 1000)}s…`,
  }[state];
}
