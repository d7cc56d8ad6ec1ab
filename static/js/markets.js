// The markets table: live prices from /ws/prices, instant search by name or symbol,
// sortable columns, and the watchlist (stars and the "Watchlist" filter).
// The search, filter and sort are kept in the address (?q=&show=watchlist&sort=price:descending),
// so a link can open the table as someone left it.
import { percent, usdPrice, usdWhole } from "./lib/format.js";
import { applyBadge, connectPrices, statusText } from "./lib/prices.js";
import { loginPromptShow, starsConnect } from "./lib/watchlist.js";

const table = document.querySelector("[data-market-table]");
const body = table?.tBodies[0];
const search = document.querySelector("[data-search]");
const sortSelect = document.querySelector("[data-sort-select]");
const count = document.querySelector("[data-result-count]");
const watchCount = document.querySelector("[data-watch-count]");
const empty = document.querySelector("[data-empty]");
const prompt = document.querySelector("[data-login-prompt]");

// Where a row keeps each sort key (data-* attributes, raw decimal strings).
const SORT_DATA = { rank: "rank", name: "name", price: "price", change: "change", market_cap: "marketCap", volume: "volume" };
// A column's first click: names A to Z and rank from 1, numbers largest first.
const FIRST_DIRECTION = { rank: "ascending", name: "ascending" };
const LIVE_KEYS = new Set(["price", "change", "market_cap", "volume"]);

const state = { query: "", show: "all", key: "rank", direction: "ascending" };
const signedIn = table?.dataset.signedIn === "true";
let pageSource = table?.dataset.pageSource ?? "";

const rows = () => [...body.querySelectorAll("tr[data-coin]")];
const isWatched = (row) => row.querySelector("[data-star]")?.getAttribute("aria-pressed") === "true";

function sortValue(row, key) {
  const raw = row.dataset[SORT_DATA[key]];
  if (key === "name") return raw;
  return raw === undefined || raw === "" ? null : Number(raw);
}

function compare(a, b) {
  const byRank = Number(a.dataset.rank) - Number(b.dataset.rank);
  const x = sortValue(a, state.key);
  const y = sortValue(b, state.key);
  if (x === null || y === null) return x === y ? byRank : x === null ? 1 : -1; // unknown last
  const order = typeof x === "string" ? x.localeCompare(y, "en", { sensitivity: "base" }) : x - y;
  return (state.direction === "ascending" ? order : -order) || byRank;
}

function applySort() {
  const current = rows();
  const sorted = [...current].sort(compare);
  if (sorted.every((row, index) => row === current[index])) return;
  // Moving a row takes the focus out of it: give it back (a star, a coin link).
  const focused = document.activeElement;
  body.prepend(...sorted);
  if (focused && body.contains(focused) && document.activeElement !== focused) focused.focus({ preventScroll: true });
}

function showSort() {
  for (const header of table.querySelectorAll("th[data-sort-col]")) {
    header.setAttribute("aria-sort", header.dataset.sortCol === state.key ? state.direction : "none");
  }
  if (sortSelect) sortSelect.value = `${state.key}:${state.direction}`;
}

function applyFilter() {
  const query = state.query.trim().toLowerCase();
  const all = rows();
  let shown = 0;
  for (const row of all) {
    const matches = !query || row.dataset.name.toLowerCase().includes(query) || row.dataset.symbol.toLowerCase().includes(query);
    row.hidden = !matches || (state.show === "watchlist" && !isWatched(row));
    if (!row.hidden) shown += 1;
  }
  const watched = all.filter(isWatched).length;
  if (watchCount) watchCount.textContent = String(watched);
  if (empty) {
    empty.hidden = shown > 0 || all.length === 0;
    const text = empty.querySelector("[data-empty-text]");
    if (state.show === "watchlist" && watched === 0) {
      text.textContent = "Your watchlist is empty. Star a coin to add it.";
    } else if (query) {
      text.textContent = `No ${state.show === "watchlist" ? "watched " : ""}coin matches “${state.query.trim()}”.`;
    } else {
      text.textContent = "No coin to show.";
    }
  }
  const noun = all.length === 1 ? "coin" : "coins";
  count.textContent = shown === all.length ? `${all.length} ${noun}` : `Showing ${shown} of ${all.length} ${noun}`;
  for (const button of document.querySelectorAll("[data-filter]")) {
    button.setAttribute("aria-pressed", String(button.dataset.filter === state.show));
  }
}

function remember() {
  const params = new URLSearchParams(window.location.search);
  const set = (name, value, fallback) => (value && value !== fallback ? params.set(name, value) : params.delete(name));
  set("q", state.query.trim(), "");
  set("show", state.show, "all");
  set("sort", `${state.key}:${state.direction}`, "rank:ascending");
  const search = params.toString();
  window.history.replaceState(null, "", `${window.location.pathname}${search ? `?${search}` : ""}`);
}

function sortBy(key, direction) {
  state.key = key;
  state.direction = direction;
  showSort();
  applySort();
  remember();
}

function updateRow(price) {
  const row = body.querySelector(`tr[data-coin="${CSS.escape(price.id)}"]`);
  if (!row) return;
  const cell = (name) => row.querySelector(`[data-field="${name}"]`);
  const text = cell("price").querySelector("[data-price-text]");
  const shown = usdPrice(price.price_usd);
  if (text.textContent !== shown) {
    cell("price").classList.remove("flash");
    void cell("price").offsetWidth;
    cell("price").classList.add("flash");
    text.textContent = shown;
  }
  const badge = cell("price").querySelector("[data-source-badge]");
  applyBadge(badge, price);
  // The page's notice speaks for every row from the page's source.
  if (badge && price.source === pageSource) badge.hidden = true;
  const change = cell("change");
  const movement = price.change_24h_pct === null ? "" : String(price.change_24h_pct).startsWith("-") ? "down" : "up";
  change.textContent = percent(price.change_24h_pct);
  change.classList.toggle("change-up", movement === "up");
  change.classList.toggle("change-down", movement === "down");
  cell("market_cap").textContent = usdWhole(price.market_cap);
  cell("volume").textContent = usdWhole(price.volume_24h);
  Object.assign(row.dataset, {
    price: price.price_usd ?? "",
    change: price.change_24h_pct ?? "",
    marketCap: price.market_cap ?? "",
    volume: price.volume_24h ?? "",
  });
}

function follow(prices) {
  // When every coin comes from one source, that is the page's: its notice shows.
  const sources = new Set(prices.map((price) => price.source));
  if (sources.size === 1 && prices.length === rows().length) {
    pageSource = [...sources][0];
    for (const notice of document.querySelectorAll("[data-source-notice]")) {
      notice.hidden = notice.dataset.sourceNotice !== pageSource;
    }
  }
  prices.forEach(updateRow);
  if (LIVE_KEYS.has(state.key)) applySort();
}

function restore() {
  const params = new URLSearchParams(window.location.search);
  state.query = params.get("q") ?? "";
  state.show = params.get("show") === "watchlist" && signedIn ? "watchlist" : "all";
  const [key, direction] = (params.get("sort") ?? "").split(":");
  if (key in SORT_DATA && (direction === "ascending" || direction === "descending")) {
    state.key = key;
    state.direction = direction;
  }
  search.value = state.query;
}

if (table && body) {
  restore();
  showSort();
  applySort();
  applyFilter();

  search.addEventListener("input", () => {
    state.query = search.value;
    applyFilter();
    remember();
  });
  for (const button of document.querySelectorAll("[data-filter]")) {
    button.addEventListener("click", () => {
      if (button.dataset.filter === "watchlist" && !signedIn) {
        loginPromptShow(prompt); // a visitor has no watchlist yet
        return;
      }
      state.show = button.dataset.filter;
      applyFilter();
      remember();
    });
  }
  table.querySelector("thead").addEventListener("click", (event) => {
    const button = event.target.closest("[data-sort]");
    if (!button) return;
    const key = button.dataset.sort;
    const first = FIRST_DIRECTION[key] ?? "descending";
    const flipped = first === "ascending" ? "descending" : "ascending";
    sortBy(key, state.key === key ? (state.direction === first ? flipped : first) : first);
  });
  sortSelect?.addEventListener("change", () => {
    const [key, direction] = sortSelect.value.split(":");
    sortBy(key, direction);
  });
  starsConnect({
    root: body,
    prompt,
    status: document.querySelector("[data-watch-status]"),
    onChange: (coin) => {
      // Unstarred in the Watchlist view, the row leaves: keep the focus on the page.
      const row = body.querySelector(`tr[data-coin="${CSS.escape(coin)}"]`);
      const hadFocus = row?.contains(document.activeElement);
      applyFilter();
      if (hadFocus && row.hidden) document.querySelector('[data-filter="watchlist"]')?.focus();
    },
  });

  connectPrices({
    onPrices: follow,
    onStatus: (status, delay) => statusText(document.querySelector("[data-live-status]"), status, delay),
  });
}
