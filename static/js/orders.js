// The orders page hears about fills and cancels from /ws/orders and updates in place.
import { usdPrice } from "./lib/format.js";
import { connectSocket } from "./lib/socket.js";

const table = document.querySelector("[data-open-orders]");
const live = document.querySelector("[data-orders-live]");

function update(order) {
  const row = table?.querySelector(`tr[data-order="${order.id}"]`);
  const label = order.status.charAt(0).toUpperCase() + order.status.slice(1);
  if (live) {
    const price = order.average_price ? ` at ${usdPrice(order.average_price)}` : "";
    live.textContent = `Order #${order.id} ${order.status}${price}.`;
  }
  if (!row) return;
  row.querySelector('[data-field="status"]').textContent = label;
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
