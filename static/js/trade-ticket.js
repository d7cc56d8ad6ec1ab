// The trade ticket: shows only the fields of the chosen order type (and side), estimates
// the cost (or proceeds) and fee from the live price, and asks for confirmation.
// The fields of another type are disabled as well as hidden, so the browser does not
// send them: the server refuses a field that does not belong to the order's type.
const ticket = document.querySelector("[data-ticket]");
const form = ticket?.querySelector("form");

if (form) {
  const feeRate = Number(ticket.dataset.feeRate || "0.001");
  const estimate = form.querySelector("[data-ticket-estimate]");
  const typeSelect = form.querySelector("[data-ticket-type]");
  const coinSelect = form.querySelector("select[name=coin]");
  const field = (name) => form.querySelector(`[data-ticket-${name}]`);
  const prices = new Map();
  for (const item of document.querySelectorAll("[data-ticket-prices] [data-coin]")) {
    prices.set(item.dataset.coin, Number(item.dataset.price));
  }
  if (estimate.dataset.coin && estimate.dataset.price) {
    prices.set(estimate.dataset.coin, Number(estimate.dataset.price));
  }
  const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  // Under a cent, two significant digits: a fee of $0.0015 is not "$0.00" (it is charged).
  const cents = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 2 });
  const usd = { format: (value) => (value > 0 && value < 0.01 ? cents : dollars).format(value) };
  const coin = () => coinSelect?.value ?? estimate.dataset.coin;
  const side = () => form.querySelector("input[name=side]:checked")?.value ?? "buy";
  const number = (input) => {
    const value = Number((input?.value ?? "").trim());
    return input?.value.trim() && Number.isFinite(value) && value > 0 ? value : null;
  };

  function summary() {
    const type = typeSelect.value;
    const market = prices.get(coin());
    const price = type === "limit" ? number(field("limit")) : type === "stop" ? number(field("stop")) ?? market : market;
    let quantity = number(field("quantity"));
    const quote = type === "market" && side() === "buy" ? number(field("quote")) : null;
    if (!price) return null;
    if (quote && !quantity) quantity = quote / (price * (1 + feeRate));
    if (!quantity) return null;
    const notional = quantity * price;
    const fee = notional * feeRate;
    const total = side() === "buy" ? notional + fee : notional - fee;
    return { type, quantity, price, fee, total };
  }

  function showFields() {
    for (const box of form.querySelectorAll("[data-for-type]")) {
      const wrongSide = box.dataset.forSide && box.dataset.forSide !== side();
      const off = box.dataset.forType !== typeSelect.value || Boolean(wrongSide);
      box.hidden = off;
      for (const input of box.querySelectorAll("input, select, textarea")) input.disabled = off;
    }
  }

  function render() {
    showFields();
    const s = summary();
    if (!s) {
      estimate.textContent = prices.get(coin()) ? `Price ${usd.format(prices.get(coin()))}` : "";
      return;
    }
    const verb = side() === "buy" ? "Estimated cost" : "Estimated proceeds";
    estimate.textContent = `${verb} ${usd.format(s.total)} (fee ${usd.format(s.fee)}) for ${s.quantity.toFixed(8)} at ${usd.format(s.price)}`;
  }

  form.addEventListener("input", render);
  form.addEventListener("change", render);
  document.addEventListener("cv:price", (event) => {
    if (event.detail.price) prices.set(event.detail.coin, Number(event.detail.price));
    render();
  });
  form.addEventListener("submit", (event) => {
    const s = summary();
    if (!s) return; // the server explains what is missing, next to the field
    const what = `${side() === "buy" ? "Buy" : "Sell"} ${s.quantity.toFixed(8)} ${coin()} (${s.type})`;
    if (!window.confirm(`${what}: about ${usd.format(s.total)} including a ${usd.format(s.fee)} fee. Place the order?`)) {
      event.preventDefault();
    }
  });
  render();
}
