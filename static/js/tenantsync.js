// "Sync now" on the tenants page: ask for the sync, then poll its status every second and
// show each collector's run as it finishes, until all have.
import { translator } from "./pagetext.js";

const POLL_MS = 1000;
const RETRY_MS = 5000;

const t = translator("sync-text");
const LANG = document.documentElement.lang || undefined;
const number = new Intl.NumberFormat(LANG);

function setState(box, state, text) {
  box.querySelector(".db-live").dataset.state = state;
  box.querySelector(".sync-state").textContent = text;
}

function show(box, status) {
  const bar = box.querySelector("progress");
  bar.max = status.total;
  bar.value = status.finished;
  box.querySelector(".sync-count").textContent = t("count", status);
  const list = box.querySelector(".sync-collectors");
  list.replaceChildren(...status.collectors.map((run) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${run.label}: `;
    const state = document.createElement("span");
    state.className = `status status-${run.state}`;
    state.textContent = run.state_label;
    item.append(name, state);
    if (run.written) item.append(` · ${t("rows", { rows: number.format(run.written) })}`);
    if (run.error) {
      const error = document.createElement("span");
      error.className = "error";
      error.textContent = ` ${run.error}`;
      item.append(error);
    }
    return item;
  }));
}

async function poll(box, url) {
  let wait = POLL_MS;
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const status = await response.json();
    show(box, status);
    if (!status.requested && status.finished === status.total) {
      setState(box, "finished", t("finished"));
      box.querySelector(".sync-done").hidden = false;
      box.closest(".tenant").querySelector("form.sync-now button").disabled = false;
      return;
    }
    setState(box, "live", status.requested ? t("requested") : t("running"));
  } catch {
    setState(box, "lost", t("lost"));
    wait = RETRY_MS;
  }
  setTimeout(() => poll(box, url), wait);
}

async function syncNow(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const card = form.closest(".tenant");
  const box = card.querySelector(".sync-progress");
  const button = form.querySelector("button");
  button.disabled = true;
  box.hidden = false;
  box.querySelector(".sync-done").hidden = true;
  setState(box, "live", t("requested"));
  try {
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || t("lost"));
    poll(box, `${answer.status}?${new URLSearchParams({ since: answer.since })}`);
  } catch (error) {
    setState(box, "lost", error.message);
    button.disabled = false;
  }
}

for (const form of document.querySelectorAll("form.sync-now")) {
  form.addEventListener("submit", syncNow);
}
// The figures are the server's: the page is drawn again (the link only changes the #fragment).
for (const link of document.querySelectorAll(".sync-done a")) {
  link.addEventListener("click", () => window.location.reload());
}
