// A websocket to this site that comes back after a drop, for every page that listens.
// It reconnects with exponential back-off (1 s doubling to 30 s, plus up to half a second
// of jitter, so a restarted server is not met by every open page in the same instant) and
// reports its state. Close code 4401 means the server will not take this socket (logged
// out): retrying would only be refused again.

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const JITTER_MS = 500;
const LOGGED_OUT = 4401;

/**
 * Open `path` (e.g. "/ws/prices") and keep it open until `close()`.
 * - onOpen(send): after each (re)connection, e.g. to subscribe again;
 * - onMessage(message): each JSON message (anything else is ignored);
 * - onStatus(state, delay): "connecting", "live", or "reconnecting" in `delay` ms;
 * - pingMs: send {"type": "ping"} that often while open (0: never).
 */
export function connectSocket(path, { onOpen, onMessage, onStatus, pingMs = 0 } = {}) {
  let delay = FIRST_DELAY_MS;
  let socket = null;
  let pingTimer = null;
  let stopped = false;

  const send = (message) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };

  const open = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
    onStatus?.("connecting");

    socket.addEventListener("open", () => {
      delay = FIRST_DELAY_MS;
      onStatus?.("live");
      onOpen?.(send);
      if (pingMs) pingTimer = window.setInterval(() => send({ type: "ping" }), pingMs);
    });

    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage?.(message);
    });

    socket.addEventListener("close", (event) => {
      window.clearInterval(pingTimer);
      if (stopped || event.code === LOGGED_OUT) return;
      onStatus?.("reconnecting", delay);
      const wait = delay + Math.random() * JITTER_MS;
      delay = Math.min(delay * 2, MAX_DELAY_MS);
      window.setTimeout(open, wait);
    });
  };

  open();
  return {
    send,
    close: () => {
      stopped = true;
      socket?.close();
    },
  };
}
