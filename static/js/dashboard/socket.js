// One websocket that comes back by itself: exponential backoff with jitter, capped at 30 s.

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
// Failed attempts in a row after which the page says "offline" rather than "reconnecting".
const OFFLINE_AFTER = 3;

/**
 * Opens `path` on this host and keeps it open. `onState(state, retryAt)` hears "live",
 * "reconnecting", "offline", "live-unavailable" and "signed-out"; `allowed()` resolves false once
 * the session is gone. A server without live updates (its channel layer is down) says
 * {"type": "unavailable"}, sends what it has and closes: the page retries, backing off.
 */
export function openSocket(path, { onMessage, onState, allowed }) {
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
  let timer = null;
  let failures = 0;

  function connect() {
    clearTimeout(timer);
    timer = null;
    const socket = new WebSocket(url);
    let unavailable = false;
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "unavailable") {
        unavailable = true;
        onState("live-unavailable");
        return;
      }
      if (!unavailable) {
        failures = 0; // reset on live data, not on open: a server that accepts and drops must still back off
        onState("live");
      }
      onMessage(message);
    });
    socket.addEventListener("close", () => retry(unavailable));
  }

  async function retry(unavailable) {
    // The server refuses a signed-out browser during the handshake, which looks like any outage.
    if (!(await allowed())) {
      onState("signed-out");
      return;
    }
    // Jitter spreads the reconnections of many dashboards after a server restart.
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** failures) * (0.5 + Math.random() / 2);
    failures += 1;
    const offline = failures > OFFLINE_AFTER || !navigator.onLine;
    onState(unavailable ? "live-unavailable" : offline ? "offline" : "reconnecting", Date.now() + delay);
    timer = setTimeout(connect, delay);
  }

  connect();
  return {
    retryNow() {
      if (timer) connect();
    },
  };
}
