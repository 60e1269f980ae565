// The connection indicator (live, reconnecting, offline, no live updates …) and the last update.
import { fullTime, t, time } from "./text.js";

// A connected page that hears nothing for this many intervals says so: the scheduler may be down.
const STALE_AFTER_INTERVALS = 3;

export class Status {
  constructor(page) {
    this.pill = page.getElementById("connection");
    this.text = page.getElementById("connection-text");
    this.detail = page.getElementById("connection-detail");
    this.retryText = page.getElementById("retry-text");
    this.retryButton = page.getElementById("retry-now");
    this.signIn = page.getElementById("sign-in-again");
    this.updated = page.getElementById("last-update");
    this.state = "connecting";
    this.retryAt = null;
    this.heardAt = null;
    this.interval = 30;
    setInterval(() => this.#refresh(), 1000);
  }

  set(state, retryAt = null) {
    this.state = state;
    this.retryAt = retryAt;
    this.#refresh();
  }

  /** A tick (or a snapshot's latest tick) taken at `epoch` has just arrived. */
  updatedAt(epoch, interval) {
    this.heardAt = Date.now();
    this.interval = interval;
    this.updated.textContent = time(epoch, { seconds: true });
    this.updated.title = fullTime(epoch);
    this.updated.dateTime = new Date(epoch * 1000).toISOString();
    this.#refresh();
  }

  #shownState() {
    const silentFor = this.heardAt == null ? 0 : Date.now() - this.heardAt;
    const stale = silentFor > (STALE_AFTER_INTERVALS * this.interval + 5) * 1000;
    return this.state === "live" && stale ? "stale" : this.state;
  }

  #refresh() {
    const state = this.#shownState();
    // Only on change: the pill is an aria-live region, and a rewrite is read out again.
    if (this.pill.dataset.state !== state) {
      this.pill.dataset.state = state;
      this.text.textContent = t(state);
    }
    const retrying = state === "reconnecting" || state === "offline" || state === "live-unavailable";
    this.detail.hidden = !retrying && state !== "signed-out";
    this.retryButton.hidden = !retrying;
    this.signIn.hidden = state !== "signed-out";
    const seconds = Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
    this.retryText.textContent = retrying && this.retryAt ? t("retry-in", { seconds }) : "";
  }
}
