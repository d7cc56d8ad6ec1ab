// Watchlist stars (templates/markets/_star.html), the same on every page that shows one:
// a signed-in reader's star is a toggle button (aria-pressed) kept by PUT/DELETE
// /api/watchlist/<coin>; a visitor's star (data-login) shows the page's log-in prompt.
import { apiFetch } from "./api.js";

/** Show the log-in prompt and put the focus on its first link. */
export function loginPromptShow(prompt) {
  if (!prompt) return;
  prompt.hidden = false;
  prompt.querySelector("a")?.focus();
}

function say(status, text, state = "") {
  if (!status) return;
  status.dataset.state = state;
  status.textContent = text;
}

function pressed(star, watched) {
  star.setAttribute("aria-pressed", String(watched));
  const name = star.dataset.name;
  star.title = watched ? `Remove ${name} from your watchlist` : `Add ${name} to your watchlist`;
}

/**
 * Make the stars under `root` work. `prompt` is the log-in prompt, `status` a live
 * region that says what changed; `onChange(coin, watched)` runs as a star changes
 * (and again if the server refuses and the star goes back).
 */
export function starsConnect({ root = document, prompt = null, status = null, onChange = () => {} }) {
  root.addEventListener("click", async (event) => {
    const star = event.target.closest("[data-star]");
    if (!star || !root.contains(star)) return;
    if (star.hasAttribute("data-login")) {
      loginPromptShow(prompt);
      return;
    }
    if (star.hasAttribute("data-busy")) return;
    const coin = star.dataset.star;
    const name = star.dataset.name;
    const watched = star.getAttribute("aria-pressed") !== "true";
    pressed(star, watched);
    star.setAttribute("data-busy", "");
    onChange(coin, watched);
    try {
      await apiFetch(`/api/watchlist/${encodeURIComponent(coin)}`, { method: watched ? "PUT" : "DELETE" });
      say(status, watched ? `${name} added to your watchlist.` : `${name} removed from your watchlist.`);
    } catch (error) {
      pressed(star, !watched);
      onChange(coin, !watched);
      if (error.status === 401 || error.status === 403) {
        loginPromptShow(prompt);
      }
      const verb = watched ? "added to" : "removed from";
      say(status, `${name} could not be ${verb} your watchlist: ${error.message}`, "error");
    } finally {
      star.removeAttribute("data-busy");
    }
  });
}
