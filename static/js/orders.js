// The orders page hears about fills and cancels from /ws/orders and updates in place.
import { quantity, usdPrice } from "./lib/format.js";
import { connectSocket } from "./lib/socket.js";

const table = document.querySelector("[data-open-orders]");
const live = document.querySelector("[data-orders-live]");

const label = (status) => status.charAt(0).toUpperCase() + status.slice(1);

function update(order) {
  const row = table?.querySelector(`tr[data-order="${order.id}"]`);
  if (live) {
    // The coin as the row names it (its symbol); the id only for an order not on the page.
    const symbol = row?.querySelector(".coin-symbol")?.textContent || order.coin;
    const filled = order.status === "filled"
      ? ` (${quantity(order.filled_quantity)} ${symbol} at ${usdPrice(order.average_price)})`
      : "";
    live.textContent = `Order #${order.id} ${order.status}${filled}.`;
  }
  if (!row) return;
  row.querySelector('[data-field="status"]').textContent = label(order.status);
  if (order.status !== "open") {
    row.querySelector('[data-field="action"]').textContent = "";
    row.classList.add("order-done");
  }
}

if (table) {
  connectSocket("/ws/orders", {
    onMessage: (message) => {
      if (message.type === "order") update(message.order);
    },
  });
}
