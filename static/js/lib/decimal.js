// Exact decimals for the pages that recompute the server's numbers (portfolio,
// dashboard): { n: BigInt, s: places }, rounded half up like Python's ROUND_HALF_UP, so
// that a live value matches what trading/portfolio.py would render to the cent.
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;
export const ZERO = { n: 0n, s: 0 };
const pow10 = (k) => 10n ** BigInt(k);

/** A decimal from the server's text ("0.01000000", "1E-8"); null if it is none. */
export function decimal(text) {
  const match = NUMBER.exec(String(text ?? "").trim());
  if (!match || (!match[2] && !match[3])) return null;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  let n = BigInt(`${sign === "-" ? "-" : ""}${whole}${fraction}` || "0");
  let s = fraction.length - Number(exponent);
  if (s < 0) {
    n *= pow10(-s);
    s = 0;
  }
  return { n, s };
}

const widen = (a, s) => a.n * pow10(s - a.s);
export const add = (a, b) => {
  const s = Math.max(a.s, b.s);
  return { n: widen(a, s) + widen(b, s), s };
};
export const sub = (a, b) => add(a, { n: -b.n, s: b.s });
export const mul = (a, b) => ({ n: a.n * b.n, s: a.s + b.s });

// num / den rounded half up (away from zero on a tie), as Python's ROUND_HALF_UP.
function divide(num, den) {
  const negative = num < 0n !== den < 0n;
  const p = num < 0n ? -num : num;
  const q = den < 0n ? -den : den;
  const r = (2n * p + q) / (2n * q);
  return negative ? -r : r;
}

/** `a` rounded half up to `places`. */
export const round = (a, places) =>
  places >= a.s ? { n: widen(a, places), s: places } : { n: divide(a.n, pow10(a.s - places)), s: places };

/** `part` as a percentage of `whole`, 4 places; null when `whole` is 0 (as percent_of). */
export function percentOf(part, whole) {
  if (whole.n === 0n) return null;
  return { n: divide(part.n * pow10(whole.s) * 100n * pow10(4), whole.n * pow10(part.s)), s: 4 };
}

/** Plain-notation text ("-12.50000000"); null for null. */
export function text(a) {
  if (a === null) return null;
  const digits = (a.n < 0n ? -a.n : a.n).toString().padStart(a.s + 1, "0");
  const body = a.s ? `${digits.slice(0, -a.s)}.${digits.slice(-a.s)}` : digits;
  return `${a.n < 0n ? "-" : ""}${body}`;
}

/** Whether `a` and `b` are the same number, whatever their places ("1.50" and "1.5"). */
export const equal = (a, b) => a.n * pow10(b.s) === b.n * pow10(a.s);

export const sign = (a) => (a.n > 0n ? 1 : a.n < 0n ? -1 : 0);
