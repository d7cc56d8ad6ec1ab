// The orders page hears about fills and cancels from /ws/orders and updates in place.
const table = document.querySelector("[data-open-orders]");
const live = document.querySelector("[data-orders-live]");
let delay = 1000;

function update(order) {
  const row = table?.querySelector(`tr[data-order="${order.id}"]`);
  const label = order.status.charAt(0).toUpperCase() + order.status.slice(1);
  if (live) {
    const price = order.average_price ? ` at $${Number(order.average_price).toLocaleString("en-US")}` : "";
    live.textContent = `Order #${order.id} ${order.status}${price}.`;
  }
  if (!row) return;
  row.querySelector('[data-field="status"]').textContent = label;
  if (order.status !== "open") {
    row.querySelector('[data-field="action"]').textContent = "";
    row.classList.add("order-done");
  }
}

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}/ws/orders`);
  socket.addEventListener("open", () => {
    delay = 1000;
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "order") update(message.order);
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4401) return; // logged out
    window.setTimeout(connect, delay + Math.random() * 500);
    delay = Math.min(delay * 2, 30000);
  });
}

if (table) connect();
