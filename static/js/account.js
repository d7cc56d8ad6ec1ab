// The account page's paper-account reset: an in-page confirmation (type RESET), then
// POST /api/account/reset; the answer, or the refusal beside the field, is announced.
import { ApiError, apiFetch } from "./lib/api.js";
import { usd } from "./lib/format.js";

const WORD = "RESET";
const section = document.querySelector("[data-reset]");

if (section) {
  const start = section.querySelector("[data-reset-start]");
  const form = section.querySelector("[data-reset-form]");
  const input = form.querySelector("input[name=confirm]");
  const error = form.querySelector("[data-reset-error]");
  const submit = form.querySelector("button[type=submit]");
  const result = section.querySelector("[data-reset-result]");

  const showError = (message) => {
    error.textContent = message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
    form.querySelector(".field").classList.toggle("field-invalid", Boolean(message));
  };

  const open = (opened) => {
    form.hidden = !opened;
    start.hidden = opened;
    start.setAttribute("aria-expanded", String(opened));
    showError("");
    if (opened) {
      result.textContent = "";
      input.value = "";
      input.focus();
    } else {
      start.focus();
    }
  };

  start.addEventListener("click", () => open(true));
  section.querySelector("[data-reset-cancel]").addEventListener("click", () => open(false));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") open(false);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (input.value.trim().toUpperCase() !== WORD) {
      showError(`Type ${WORD} to confirm the reset.`);
      input.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Resetting…";
    try {
      const answer = await apiFetch("/api/account/reset", { method: "POST", body: { confirm: input.value } });
      const cash = answer.balances.find((balance) => balance.asset === "USD");
      const cancelled = answer.cancelled_orders.length;
      form.hidden = true;
      start.hidden = false;
      start.setAttribute("aria-expanded", "false");
      const home = document.createElement("a");
      home.href = "/";
      home.textContent = "See your dashboard";
      result.replaceChildren(
        `Your paper account is reset: ${usd(cash?.available ?? "0")} in cash, no coins` +
          (cancelled ? `, ${cancelled} open order${cancelled === 1 ? "" : "s"} cancelled. ` : ". "),
        home,
      );
      result.focus();
    } catch (failure) {
      const message = failure instanceof ApiError ? failure.reason : "The reset could not be sent. Try again.";
      showError(message);
      input.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Reset my account";
    }
  });
}
