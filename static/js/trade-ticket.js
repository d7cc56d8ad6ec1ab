// The trade ticket (templates/trading/_trade_ticket.html), on /trade/ and on each coin page.
//
// It shows only the fields of the chosen order type (and side); what the order can spend or
// sell (GET /api/balances) with a Max button; what the order would cost or yield and its
// fee as the server quotes them (GET /api/orders/quote, the rule that places the order, so
// the ticket never carries a fee formula or rate of its own); a warning when that is more
// than is available; the server's refusals beside the field they name; and, instead of the
// browser's confirm(), an in-page review of the server's quote with Confirm and Edit.
// The fields of another type are disabled as well as hidden, so the browser does not send
// them: the server refuses a field that does not belong to the order's type.
import { ApiError, apiFetch } from "./lib/api.js";
import { quantity as quantityText, usd, usdPrice } from "./lib/format.js";
import { connectPrices } from "./lib/prices.js";
import { connectSocket } from "./lib/socket.js";

const QUOTE_PATH = "/api/orders/quote";
const QUOTE_DELAY_MS = 250; // typing pauses this long before the ticket asks for a quote
const QUOTED = ["coin", "side", "type", "quantity", "quote_amount", "limit_price", "stop_price"];
// The price an order of this type is valued at, when it is not the market's.
const OWN_PRICE = { limit: "limit_price", stop: "stop_price" };
const PRICE_WORDS = { market: "Market price", limit: "Limit price", stop: "Stop price" };
const USD = "USD";
const AMOUNT_PLACES = 8; // balances, quantities and totals are decimals to 8 places
const PRICE_PLACES = 18; // a unit price has as many as a coin at $0.000000001206 needs
const MAX_STEPS = 8; // quotes Max may ask for to find the largest limit or stop buy

// --- Exact decimals: amounts compare and scale as the server's Decimal does, never as floats.

const DECIMAL = /^(\d*)(?:\.(\d*))?$/;

/** floor(value × 10^places) as a BigInt, for a non-negative decimal text; null if none. */
function units(value, places) {
  const match = DECIMAL.exec(String(value ?? "").trim());
  if (!match || (!match[1] && !match[2])) return null;
  const [, whole = "", fraction = ""] = match;
  return BigInt(`${whole || "0"}${fraction.padEnd(places, "0").slice(0, places)}`);
}

/** `amount` × 10^-places as plain text without trailing zeros: (150000000n, 8) → "1.5". */
function decimalText(amount, places) {
  const digits = amount.toString().padStart(places + 1, "0");
  const fraction = digits.slice(-places).replace(/0+$/, "");
  return fraction ? `${digits.slice(0, -places)}.${fraction}` : digits.slice(0, -places);
}

/** Dollars for an amount box: whole ("10000") or to the cent ("7498.50"), rounded down. */
function dollarsText(value) {
  const cents = units(value, 2) ?? 0n;
  const whole = (cents / 100n).toString();
  return cents % 100n ? `${whole}.${(cents % 100n).toString().padStart(2, "0")}` : whole;
}

const ticket = document.querySelector("[data-ticket]");
const form = ticket?.querySelector("form");
if (form) ticketStart(form);

function ticketStart(form) {
  const find = (selector) => form.querySelector(selector);
  const estimate = find("[data-ticket-estimate]");
  const typeSelect = find("[data-ticket-type]");
  const coinInput = form.elements.coin; // the choice on /trade/, a hidden input on a coin page
  const fields = find("[data-ticket-fields]");
  const formError = find("[data-ticket-error]");
  const warning = find("[data-ticket-warning]");
  const review = find("[data-ticket-review]");
  const reviewTitle = find("[data-ticket-review-title]");
  const confirmButton = find("[data-ticket-confirm]");
  const editButton = find("[data-ticket-edit]");
  const submitButton = find("[data-ticket-submit]");
  const availableRow = find("[data-ticket-available-row]");
  const availableText = find("[data-ticket-available]");
  const maxButton = find("[data-ticket-max]");
  const priceList = document.querySelector("[data-ticket-prices]");
  const balanceTable = document.querySelector("[data-balances]");

  const prices = new Map();
  for (const item of priceList?.querySelectorAll("[data-coin]") ?? []) {
    prices.set(item.dataset.coin, item.dataset.price);
  }
  if (estimate.dataset.coin && estimate.dataset.price) prices.set(estimate.dataset.coin, estimate.dataset.price);
  const coin = () => coinInput.value;
  const side = () => form.querySelector("input[name=side]:checked")?.value ?? "buy";
  const coinData = (id) => (coinInput.tagName === "SELECT" ? [...coinInput.options].find((o) => o.value === id) : coinInput)?.dataset ?? {};
  const symbolOf = (id) => coinData(id).symbol ?? id.toUpperCase();

  let balances = null; // asset → {available, held}, once GET /api/balances answers
  let timer = null;
  let asked = null; // {key, quote}: the last quote asked for, a promise
  let shown = 0; // counts changes: an answer to an older one is not shown
  let edits = 0; // counts the trader's own changes (a price tick is not one)
  let lastQuote = null; // the quote the estimate shows
  let reviewing = null; // the quote under review
  let submitting = false;
  let errorsShown = new Map(); // field name ("" for the form) → the refusal shown beside it
  let serverErrors = true; // the server's refusals of the last post are still on the page

  // --- Fields, balances, estimate -------------------------------------------------------

  function showFields() {
    for (const box of form.querySelectorAll("[data-for-type]")) {
      const wrongSide = box.dataset.forSide && box.dataset.forSide !== side();
      const off = box.dataset.forType !== typeSelect.value || Boolean(wrongSide);
      box.hidden = off;
      for (const input of box.querySelectorAll("input, select, textarea")) input.disabled = off;
    }
    showAvailable();
  }

  // What the order spends (dollars for a buy, the coin for a sell), as decimal text.
  const availableOf = (orderSide, coinId) => balances?.get(orderSide === "buy" ? USD : coinId)?.available ?? "0";

  function showAvailable() {
    if (!balances) return;
    const amount = availableOf(side(), coin());
    availableRow.hidden = false;
    availableText.textContent = side() === "buy" ? usd(amount) : `${quantityText(amount)} ${symbolOf(coin())}`;
    maxButton.disabled = !units(amount, AMOUNT_PLACES);
  }

  async function loadBalances() {
    try {
      const rows = await apiFetch("/api/balances");
      balances = new Map(rows.map((row) => [row.asset, row]));
    } catch {
      return; // the ticket still works; it only cannot say what is available
    }
    showAvailable();
    warningShow(reviewing ?? lastQuote);
    for (const row of balanceTable?.querySelectorAll("tr[data-asset]") ?? []) {
      const balance = balances.get(row.dataset.asset);
      const write = row.dataset.asset === USD ? usd : quantityText;
      const [available, held] = row.querySelectorAll("td");
      if (!balance || !held) continue;
      available.textContent = write(balance.available);
      held.textContent = write(balance.held);
    }
  }

  // The order the form would send: its enabled, filled fields.
  function orderQuery() {
    const sent = new FormData(form);
    const query = new URLSearchParams();
    for (const name of QUOTED) {
      const value = String(sent.get(name) ?? "").trim();
      if (value) query.set(name, value);
    }
    return query;
  }

  // The same, or null while it lacks an amount or its type's price: a ticket still being
  // filled in is not an error to report.
  function order() {
    const query = orderQuery();
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
      const entry = { key, quote: apiFetch(QUOTE_PATH, { query }) };
      entry.quote.catch(() => {
        if (asked === entry) asked = null;
      });
      asked = entry;
    }
    return asked.quote;
  }

  function showPrice() {
    lastQuote = null;
    warningShow(null);
    const price = prices.get(coin());
    estimate.textContent = price ? `Price ${usdPrice(price)}` : "";
  }

  function showQuote(quote) {
    lastQuote = quote;
    const total = document.createElement("strong");
    total.className = "mono";
    total.textContent = usd(quote.total);
    const detail = ` (fee ${usd(quote.fee)}) for ${quantityText(quote.quantity)} ${symbolOf(quote.coin)} at ${usdPrice(quote.price)}`;
    estimate.replaceChildren(`${quote.side === "buy" ? "Estimated cost" : "Estimated proceeds"} `, total, detail);
    errorsShow(new Map());
    warningShow(quote);
  }

  // --- Warnings and refusals --------------------------------------------------------------

  // Why the order is more than the account has, or "" (also "" until the balances are known).
  function shortfall(quote) {
    if (!balances || !quote) return "";
    const have = availableOf(quote.side, quote.coin);
    if (quote.side === "buy") {
      if (units(quote.total, AMOUNT_PLACES) <= units(have, AMOUNT_PLACES)) return "";
      return `Not enough USD: this order costs ${usd(quote.total)} and you have ${usd(have)} available.`;
    }
    if (units(quote.quantity, AMOUNT_PLACES) <= units(have, AMOUNT_PLACES)) return "";
    const symbol = symbolOf(quote.coin);
    return `Not enough ${symbol}: this order sells ${quantityText(quote.quantity)} ${symbol} and you have ${quantityText(have)} ${symbol} available.`;
  }

  // The warning is a live region that stays on the page: only a new text is announced.
  function warningShow(quote) {
    const text = shortfall(quote);
    if (warning.textContent !== text) warning.textContent = text;
    if (reviewing) confirmButton.disabled = Boolean(text) || submitting;
  }

  // Where a refusal of `name` is shown: beside its field when the field is on screen.
  function fieldBox(name) {
    const input = form.elements[name];
    const first = input instanceof RadioNodeList ? input[0] : input;
    if (!first || first.type === "hidden") return null;
    const box = first.closest(".field");
    return box && !box.closest("[hidden]") ? box : null;
  }

  function refusals(error) {
    const found = new Map();
    if (!(error instanceof ApiError)) {
      found.set("", "The order could not be checked: the server did not answer. Try again.");
      return found;
    }
    const listed = Object.entries(error.data?.errors ?? {});
    if (!listed.length) found.set("", error.message);
    for (const [name, messages] of listed) {
      const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
      const place = fieldBox(name) ? name : "";
      found.set(place, found.has(place) ? `${found.get(place)} ${text}` : text);
    }
    return found;
  }

  function errorShow(name, message) {
    if (!name) {
      formError.replaceChildren();
      if (message) formError.append(Object.assign(document.createElement("p"), { textContent: message }));
      return;
    }
    const box = fieldBox(name) ?? form.elements[name]?.closest?.(".field");
    if (!box) return;
    for (const old of box.querySelectorAll(".field-error")) old.remove();
    box.classList.toggle("field-invalid", Boolean(message));
    const input = box.querySelector("input:not([type=radio]), select");
    if (!message) {
      input?.removeAttribute("aria-invalid");
      input?.removeAttribute("aria-describedby");
      return;
    }
    const line = Object.assign(document.createElement("p"), { className: "field-error", textContent: message });
    line.setAttribute("role", "alert");
    line.id = `ticket-${name}-error`;
    box.append(line);
    input?.setAttribute("aria-invalid", "true");
    input?.setAttribute("aria-describedby", line.id);
  }

  // Shows `found` (field → message), touching only what changed: an alert already on
  // screen is not announced again while the trader types.
  function errorsShow(found) {
    for (const name of new Set([...errorsShown.keys(), ...found.keys()])) {
      if (errorsShown.get(name) !== found.get(name)) errorShow(name, found.get(name));
    }
    errorsShown = found;
  }

  // The server's refusals of the last post go once the trader changes the order.
  function serverErrorsClear() {
    if (!serverErrors) return;
    serverErrors = false;
    for (const name of ["", ...QUOTED]) if (!errorsShown.has(name)) errorShow(name, undefined);
  }

  // --- Quoting ----------------------------------------------------------------------------

  async function refresh() {
    const query = order();
    if (!query) return showPrice();
    const mine = shown;
    try {
      const quote = await quoteFor(query);
      if (mine === shown) showQuote(quote);
    } catch (error) {
      if (mine !== shown) return;
      showPrice();
      // The server's reason, beside the field it names, in the words placing would use.
      errorsShow(error instanceof ApiError && error.status === 400 ? refusals(error) : new Map());
    }
  }

  function changed() {
    shown += 1;
    showFields();
    window.clearTimeout(timer);
    if (!order()) {
      asked = null;
      showPrice();
      errorsShow(new Map());
      return;
    }
    timer = window.setTimeout(refresh, QUOTE_DELAY_MS);
  }

  function edited() {
    edits += 1;
    serverErrorsClear();
    changed();
  }

  // --- Max ----------------------------------------------------------------------------------

  // The largest quantity (in 10^-8 coins) whose quote, fee included, fits `budget`:
  // guessed without the fee, scaled down by what the server says it costs, then raised
  // while one more still fits (the fee and the notional are rounded to the 8th place).
  async function maxBuyUnits(query, budget) {
    const price = units(query.get(OWN_PRICE[query.get("type")]), PRICE_PLACES);
    let amount = price ? (budget * 10n ** BigInt(PRICE_PLACES)) / price : 1n;
    let best = null;
    for (let step = 0; step < MAX_STEPS && amount > 0n; step += 1) {
      query.set("quantity", decimalText(amount, AMOUNT_PLACES));
      const quote = await apiFetch(QUOTE_PATH, { query });
      const total = units(quote.total, AMOUNT_PLACES);
      if (total <= budget) {
        best = amount;
        amount += 1n;
      } else if (best !== null) {
        return best;
      } else {
        const scaled = (amount * budget) / total;
        amount = scaled < amount ? scaled : amount - 1n;
      }
    }
    return best;
  }

  async function fillMax() {
    if (!balances) return;
    serverErrorsClear();
    const have = availableOf(side(), coin());
    const quantityBox = form.elements.quantity;
    const amountBox = form.elements.quote_amount;
    if (side() === "sell") {
      quantityBox.value = decimalText(units(have, AMOUNT_PLACES) ?? 0n, AMOUNT_PLACES);
    } else if (typeSelect.value === "market") {
      amountBox.value = dollarsText(have); // the amount to spend pays the fee as well
      quantityBox.value = "";
    } else {
      const query = orderQuery();
      query.delete("quantity");
      const mine = (edits += 1);
      maxButton.disabled = true;
      try {
        const most = await maxBuyUnits(query, units(have, AMOUNT_PLACES));
        if (mine !== edits) return;
        if (most === null) throw new ApiError(400, { detail: "The largest order could not be worked out; type a quantity." });
        quantityBox.value = decimalText(most, AMOUNT_PLACES);
      } catch (error) {
        if (mine !== edits) return;
        showPrice();
        errorsShow(refusals(error));
        return;
      } finally {
        showAvailable();
      }
    }
    changed();
  }

  // --- Review -------------------------------------------------------------------------------

  function reviewFill(quote) {
    const buy = quote.side === "buy";
    const symbol = symbolOf(quote.coin);
    const price = usdPrice(quote.price);
    const sideWord = form.querySelector(`input[name=side][value="${quote.side}"]`)?.parentElement.textContent.trim() ?? quote.side;
    const typeWord = [...typeSelect.options].find((option) => option.value === quote.type)?.textContent ?? quote.type;
    const notes = {
      market: `A market order fills at once at the price when you confirm; this quote follows the live price.`,
      limit: `Rests until ${symbol} trades at ${price} or ${buy ? "less" : "more"}, holding ${buy ? "the total" : `the ${symbol}`} until it fills or you cancel it.`,
      stop: `Triggers when ${symbol} trades at ${price} or ${buy ? "more" : "less"}, then fills at that price; ${buy ? "the total" : `the ${symbol}`} is held until then.`,
    };
    const lines = {
      order: `${sideWord} ${coinData(quote.coin).name ?? symbol} · ${typeWord}`,
      quantity: `${quantityText(quote.quantity)} ${symbol}`,
      "price-label": PRICE_WORDS[quote.type] ?? "Price",
      price,
      notional: usd(quote.notional),
      fee: usd(quote.fee),
      "total-label": buy ? "Total cost" : "You receive",
      total: usd(quote.total),
      note: notes[quote.type] ?? "",
    };
    for (const [name, text] of Object.entries(lines)) review.querySelector(`[data-review="${name}"]`).textContent = text;
    warningShow(quote);
  }

  function reviewOpen(quote) {
    reviewing = quote;
    reviewFill(quote);
    fields.hidden = true;
    submitButton.hidden = true;
    review.hidden = false;
    reviewTitle.focus();
  }

  function reviewClose() {
    if (!reviewing) return;
    reviewing = null;
    review.hidden = true;
    fields.hidden = false;
    submitButton.hidden = false;
    warningShow(lastQuote);
    submitButton.focus();
  }

  // --- Events -------------------------------------------------------------------------------

  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  maxButton.addEventListener("click", fillMax);
  editButton.addEventListener("click", reviewClose);
  review.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      reviewClose();
    }
  });
  confirmButton.addEventListener("click", () => {
    if (!reviewing || submitting) return;
    submitting = true;
    confirmButton.disabled = true;
    editButton.disabled = true;
    confirmButton.textContent = "Placing…";
    form.submit(); // the review's order: the fields are hidden, not changed
  });

  // "Review order" (or Enter in a field) asks the server for the quote of exactly what
  // would be sent, even an incomplete order: its refusal shows beside the field it names.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submitting || reviewing) return;
    serverErrorsClear();
    // A price tick meanwhile does not cancel the review; a change by the trader does.
    const mine = (edits += 1);
    shown += 1;
    window.clearTimeout(timer);
    submitButton.disabled = true;
    try {
      const quote = await quoteFor(orderQuery());
      if (mine !== edits) return;
      showQuote(quote);
      reviewOpen(quote);
    } catch (error) {
      if (mine !== edits) return;
      showPrice();
      errorsShow(refusals(error));
      const first = [...errorsShown.keys()].find(Boolean);
      if (first) fieldBox(first)?.querySelector("input:not([type=radio]), select")?.focus();
    } finally {
      submitButton.disabled = false;
    }
  });

  document.addEventListener("cv:price", (event) => {
    const { coin: id, price } = event.detail;
    if (price) prices.set(id, price);
    const item = priceList?.querySelector(`[data-coin="${CSS.escape(id)}"] [data-field="price"]`);
    if (item && price) item.textContent = usdPrice(price);
    if (id !== coin() || typeSelect.value !== "market") return;
    // A market order is valued at the market: its quote (and its review) follow the price.
    asked = null;
    if (!reviewing) return changed();
    const mine = edits;
    quoteFor(orderQuery())
      .then((quote) => {
        if (!reviewing || mine !== edits || submitting) return;
        reviewing = quote;
        reviewFill(quote);
      })
      .catch(() => {}); // the review keeps the last quote; Confirm is refused if it no longer holds
  });

  // Back to this page from the next one (the back/forward cache keeps the script's state).
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    submitting = false;
    confirmButton.textContent = "Confirm";
    editButton.disabled = false;
    reviewClose();
    loadBalances();
  });

  // /trade/ lists the last prices: it follows them itself (a coin page's script already does).
  if (priceList) connectPrices({ onPrices: () => {} });
  // A resting order that fills or is cancelled changes what is available.
  connectSocket("/ws/orders", {
    onMessage: (message) => {
      if (message.type === "order") loadBalances();
    },
  });

  submitButton.textContent = "Review order";
  showFields();
  changed();
  loadBalances();
}
