// Numbers and moments as a person reads them, written once for every page.
//
// The same rules as the server's filters (cryptovault/display.py, `{% load money %}`).
// `usd` follows the server's `usd` filter (usd_text): "$1,234.50",
// "-$0.95", "—" for none. It rounds half up to the cent on the decimal text itself, as
// Python's Decimal does, so "0.125" is "$0.13" here as there (a float would give 0.12) and
// an amount past 2^53 keeps its digits. Under a cent it keeps its digits to the 8 places
// amounts have: a fee of $0.001206 is charged, so it does not read "$0.00".

const NONE = "—";
// A decimal as the API writes it ("-1234.50000000"), or as String(number) may ("1e-7").
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;
const MAX_EXPONENT = 400; // beyond what any amount or price (or a double) reaches

const smallPrice = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumSignificantDigits: 4, maximumSignificantDigits: 4 });
const wholeDollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

const missing = (value) => value === null || value === undefined || value === "";

// The value's magnitude in whole cents (rounded half up) and its sign; null if no number.
function centsOf(value) {
  const match = DECIMAL.exec(String(value).trim());
  if (!match || (!match[2] && !match[3])) return null;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  if (Math.abs(Number(exponent)) > MAX_EXPONENT) return null;
  const digits = whole + fraction;
  const end = whole.length + Number(exponent) + 2; // digits before this one are whole cents
  if (end < 0) return { negative: false, cents: 0n };
  const padded = digits.padEnd(end + 1, "0");
  let cents = BigInt(padded.slice(0, end) || "0");
  if (padded[end] >= "5") cents += 1n;
  return { negative: sign === "-" && cents > 0n, cents };
}

const grouped = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** Dollars to the cent: "$1,234.50", "-$0.95"; under a cent "$0.0015"; "—" for none. */
export function usd(value) {
  if (missing(value)) return NONE;
  const number = Number(value);
  if (number !== 0 && Math.abs(number) < 0.01) {
    // Under a cent, its digits to the 8 places amounts have: "$0.001206".
    const digits = Math.abs(number).toFixed(8).replace(/0+$/, "");
    return digits === "0." ? "$0.00" : `${number < 0 ? "-" : ""}$${digits}`;
  }
  const amount = centsOf(value);
  if (amount === null) return NONE;
  const dollars = grouped((amount.cents / 100n).toString());
  const cents = (amount.cents % 100n).toString().padStart(2, "0");
  return `${amount.negative ? "-" : ""}$${dollars}.${cents}`;
}

/** A coin's price: to the cent from $1, else four significant digits ("$0.4748"). */
export function usdPrice(value) {
  if (missing(value)) return NONE;
  const number = Number(value);
  // 0.99996 rounds to a dollar at four significant digits: shown as one, in cents.
  const rounded = Number(number.toPrecision(4));
  return Math.abs(rounded) >= 1 ? usd(value) : smallPrice.format(number);
}

/** Whole dollars, for market caps and volumes: "$1,234,568". */
export function usdWhole(value) {
  return missing(value) ? NONE : wholeDollars.format(Number(value));
}

/** A percentage change with its sign, to two places: "+3.19%", "-1.25%", "0.00%". */
export function percent(value) {
  if (missing(value)) return NONE;
  const amount = centsOf(value); // hundredths, rounded half up as the server does
  if (amount === null) return NONE;
  const sign = amount.cents === 0n ? "" : amount.negative ? "-" : "+";
  const hundredths = (amount.cents % 100n).toString().padStart(2, "0");
  return `${sign}${amount.cents / 100n}.${hundredths}%`;
}

const quantityFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 8 });

/** A coin quantity with its significant places, at most 8: "0.01", "1,250.5". */
export function quantity(value) {
  return missing(value) ? NONE : quantityFormat.format(Number(value));
}

const localMoment = new Intl.DateTimeFormat("en-GB", {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  timeZoneName: "short",
});

/** A moment in the reader's own zone: "1 Dec 2026, 17:48 CET"; "—" for none. */
export function moment(value) {
  if (missing(value)) return NONE;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? NONE : localMoment.format(date);
}

/** Rewrites every server-written `<time datetime=… data-local>` (UTC) in local time. */
export function momentsLocalize(root = document) {
  for (const element of root.querySelectorAll("time[data-local][datetime]")) {
    const text = moment(element.getAttribute("datetime"));
    if (text !== NONE) {
      element.textContent = text;
      element.title = element.getAttribute("datetime");
    }
  }
}
