// The /ws/prices stream for the pages that show prices: it re-announces every price as a
// `cv:price` event on document (the trade ticket listens to it), and it keeps the
// "Live" status and the source badges in the same words on every page.
import { connectSocket } from "./socket.js";

const PING_MS = 25000;

/** Follow /ws/prices (only `coins` when given); onPrices(prices, message) on each update. */
export function connectPrices({ onPrices, onStatus, coins = null }) {
  return connectSocket("/ws/prices", {
    pingMs: PING_MS,
    onStatus,
    onOpen: (send) => {
      if (coins) send({ type: "subscribe", coins });
    },
    onMessage: (message) => {
      if (message.type !== "snapshot" && message.type !== "prices") return;
      for (const price of message.prices) {
        document.dispatchEvent(
          new CustomEvent("cv:price", {
            detail: { coin: price.id, price: price.price_usd, source: price.source, at: price.last_updated },
          }),
        );
      }
      onPrices(message.prices, message);
    },
  });
}

/** Show the price's source on `badge`: hidden for CoinGecko, else "stale" or "simulated". */
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

/** Say on `element` whether the prices are live, connecting, or when the next try is. */
export function statusText(element, state, delay) {
  if (!element) return;
  element.dataset.state = state;
  element.textContent = {
    connecting: "Connecting to live prices…",
    live: "Live",
    reconnecting: `Connection lost; retrying in ${Math.round((delay || 1000) / 1000)}s…`,
  }[state];
}
