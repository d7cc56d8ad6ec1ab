// The trade ticket: shows only the fields of the chosen order type (and side), shows what
// the order would cost (or yield) and its fee as the server quotes them, and asks for
// confirmation. The numbers come from GET /api/orders/quote, the rule that places the
// order, so the ticket never carries a fee formula or a fee rate of its own.
// The fields of another type are disabled as well as hidden, so the browser does not
// send them: the server refuses a field that does not belong to the order's type.
import { ApiError, apiFetch } from "./lib/api.js";
import { usd } from "./lib/format.js";

const QUOTE_DELAY_MS = 250; // typing pauses this long before the ticket asks for a quote
const QUOTED = ["coin", "side", "type", "quantity", "quote_amount", "limit_price", "stop_price"];
// The price an order of this type is valued at, when it is not the market's.
const OWN_PRICE = { limit: "limit_price", stop: "stop_price" };

const ticket = document.querySelector("[data-ticket]");
const form = ticket?.querySelector("form");

if (form) {
  const estimate = form.querySelector("[data-ticket-estimate]");
  const typeSelect = form.querySelector("[data-ticket-type]");
  const coinSelect = form.querySelector("select[name=coin]");
  const prices = new Map();
  for (const item of document.querySelectorAll("[data-ticket-prices] [data-coin]")) {
    prices.set(item.dataset.coin, item.dataset.price);
  }
  if (estimate.dataset.coin && estimate.dataset.price) prices.set(estimate.dataset.coin, estimate.dataset.price);
  const coin = () => coinSelect?.value ?? estimate.dataset.coin;
  const side = () => form.querySelector("input[name=side]:checked")?.value ?? "buy";
  let timer = null;
  let asked = null; // {key, quote}: the last quote asked for, a promise
  let shown = 0; // counts changes: an answer to an older one is not shown
  let submitting = false;

  function showFields() {
    for (const box of form.querySelectorAll("[data-for-type]")) {
      const wrongSide = box.dataset.forSide && box.dataset.forSide !== side();
      const off = box.dataset.forType !== typeSelect.value || Boolean(wrongSide);
      box.hidden = off;
      for (const input of box.querySelectorAll("input, select, textarea")) input.disabled = off;
    }
  }

  // The order the form would send (its enabled, filled fields), or null while it lacks an
  // amount or its type's price: a ticket still being filled in is not an error to report.
  function order() {
    const sent = new FormData(form);
    const query = new URLSearchParams();
    for (const name of QUOTED) {
      const value = String(sent.get(name) ?? "").trim();
      if (value) query.set(name, value);
    }
    const ownPrice = OWN_PRICE[query.get("type")];
    if (!query.has("coin") || (ownPrice && !query.has(ownPrice))) return null;
    if (!query.has("quantity") && !query.has("quote_amount")) return null;
    return query;
  }

  // One request per distinct order: typing back to the order just quoted reuses it. A
  // refusal or a failure is not kept: the next change or tick asks again.
  function quoteFor(query) {
    const key = query.toString();
    if (asked?.key !== key) {
      const entry = { key, quote: apiFetch("/api/orders/quote", { query }) };
      entry.quote.catch(() => {
        if (asked === entry) asked = null;
      });
      asked = entry;
    }
    return asked.quote;
  }

  function showPrice() {
    const price = prices.get(coin());
    estimate.textContent = price ? `Price ${usd(price)}` : "";
  }

  function showQuote(quote) {
    const verb = quote.side === "buy" ? "Estimated cost" : "Estimated proceeds";
    estimate.textContent = `${verb} ${usd(quote.total)} (fee ${usd(quote.fee)}) for ${quote.quantity} at ${usd(quote.price)}`;
  }

  async function refresh() {
    const query = order();
    if (!query) return showPrice();
    const mine = shown;
    try {
      const quote = await quoteFor(query);
      if (mine === shown) showQuote(quote);
    } catch (error) {
      if (mine !== shown) return;
      // The server's reason, in the words the form would show after placing the order.
      if (error instanceof ApiError && error.status === 400) estimate.textContent = error.reason;
      else showPrice();
    }
  }

  function changed() {
    shown += 1;
    showFields();
    window.clearTimeout(timer);
    if (!order()) {
      asked = null;
      showPrice();
      return;
    }
    timer = window.setTimeout(refresh, QUOTE_DELAY_MS);
  }

  form.addEventListener("input", () => changed());
  form.addEventListener("change", () => changed());
  document.addEventListener("cv:price", (event) => {
    if (event.detail.price) prices.set(event.detail.coin, event.detail.price);
    if (event.detail.coin !== coin()) return;
    // A market order is valued at the market: its quote follows the price.
    if (typeSelect.value === "market") asked = null;
    changed();
  });
  // Back to this page from the next one (the back/forward cache keeps the script's state).
  window.addEventListener("pageshow", () => {
    submitting = false;
  });

  // The confirmation states the server's quote of the order being sent; an order the
  // server refuses is sent as it is, and the page explains next to the field.
  form.addEventListener("submit", async (event) => {
    const query = order();
    if (!query) return;
    event.preventDefault();
    if (submitting) return;
    submitting = true;
    shown += 1;
    window.clearTimeout(timer);
    let quote;
    try {
      quote = await quoteFor(query);
    } catch {
      form.submit();
      return;
    }
    showQuote(quote);
    const what = `${quote.side === "buy" ? "Buy" : "Sell"} ${quote.quantity} ${quote.coin} (${quote.type})`;
    if (window.confirm(`${what}: about ${usd(quote.total)} including a ${usd(quote.fee)} fee. Place the order?`)) {
      form.submit();
    } else {
      submitting = false;
    }
  });

  showFields();
  changed();
}
