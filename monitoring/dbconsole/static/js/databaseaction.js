// One database action's page: while the action is queued or running, poll the API every
// second and update its state, progress and result in place; stop once it has finished.
const root = document.getElementById("database-action");
const ACTIVE = new Set(["queued", "running"]);
const POLL_MS = 1000;
const RETRY_MS = 5000;

const strings = {};
for (const span of document.getElementById("database-action-text").content.querySelectorAll("[data-key]")) {
  strings[span.dataset.key] = span.textContent;
}
const t = (key, values = {}) =>
  (strings[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

const $ = (id) => document.getElementById(id);
const LANG = document.documentElement.lang || undefined;
const decimal = new Intl.NumberFormat(LANG, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

// "Y-m-d H:i:s" as the page prints it: the API gives ISO 8601 in the site's time zone.
const stamp = (iso) => (iso ? iso.slice(0, 19).replace("T", " ") : "—");

function setLive(state) {
  $("action-live").dataset.state = state;
  $("action-live-text").textContent = t(state);
}

function showProgress(action) {
  const progress = action.progress ?? {};
  const card = $("action-progress");
  card.hidden = !ACTIVE.has(action.state) && !action.progress;
  if (progress.steps) {
    $("action-step").textContent = t("step", { step: progress.step, steps: progress.steps });
  } else if (action.state === "queued") {
    $("action-step").textContent = t("waiting");
  }
  // Once finished, the SQL card shows every statement: the current one is no news.
  $("action-statement").hidden = !progress.statement || !ACTIVE.has(action.state);
  $("action-statement").textContent = progress.statement ?? "";
  $("action-phase").hidden = !progress.phase;
  $("action-phase-text").textContent = progress.phase ?? "";
  // A failed or cancelled action stopped where the step count says: no bar to fill.
  $("action-bar-box").hidden = action.state === "failed" || action.state === "cancelled";
  const bar = $("action-bar");
  let percent = progress.percent;
  if (action.state === "succeeded") percent = 100;
  if (typeof percent === "number") {
    bar.value = percent;
    $("action-percent").textContent = `${decimal.format(percent)} %`;
  } else {
    bar.removeAttribute("value"); // indeterminate: PostgreSQL reports no counter for this step
    $("action-percent").textContent = "";
  }
}

function show(action) {
  root.dataset.state = action.state;
  const badge = $("action-state");
  badge.className = `db-state db-state-${action.state}`;
  badge.textContent = t(`state-${action.state}`);
  $("action-started").textContent = stamp(action.started);
  $("action-finished").textContent = stamp(action.finished);
  $("action-duration").textContent =
    action.seconds == null ? "—" : t("seconds", { seconds: decimal.format(action.seconds) });
  showProgress(action);
  $("action-result").hidden = !action.result;
  $("action-result").textContent = action.result ?? "";
  $("action-no-result").hidden = Boolean(action.result);
  if (!ACTIVE.has(action.state)) {
    const cancel = $("action-cancel");
    if (cancel) cancel.hidden = true;
  }
}

async function poll() {
  let wait = POLL_MS;
  try {
    const response = await fetch(root.dataset.url, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      const retry = Number(response.headers.get("Retry-After"));
      throw new Error(String(retry > 0 ? retry * 1000 : RETRY_MS));
    }
    const action = await response.json();
    show(action);
    if (!ACTIVE.has(action.state)) {
      setLive("finished");
      return;
    }
    setLive("live");
  } catch (error) {
    // Signed out, rate-limited, or the server is away: say so and keep trying, more slowly.
    setLive("lost");
    wait = Number(error.message) || RETRY_MS;
  }
  setTimeout(poll, wait);
}

if (ACTIVE.has(root.dataset.state)) {
  setTimeout(poll, POLL_MS);
}
