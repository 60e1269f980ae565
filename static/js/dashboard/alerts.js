// The alerts panel: open alerts by severity from each tick, the open alerts themselves from
// the API grouped by rule, the worst first (again whenever the counts change), and
// Acknowledge / Resolve / Silence for those allowed.
import { count, fullTime, labels, t, time } from "./text.js";

// Firing and acknowledged, silenced ones included (with their badge), not those held back.
const OPEN = "status=firing&status=acknowledged&held_back=false";
const GROUPS = 20; // kinds of alert shown
const PER_GROUP = 10; // alerts listed when one is expanded
const epoch = (iso) => (iso == null ? null : Date.parse(iso) / 1000);

export class AlertsPanel {
  constructor(section) {
    this.section = section;
    this.url = section.dataset.list; // absent without monitoring.view_alert
    this.pages = section.dataset.pages; // each alert's own page: /alerts/<code>/
    this.canAct = section.dataset.canAct === "true";
    this.csrf = section.dataset.csrf;
    this.counts = undefined; // the last counts, as JSON, to notice a change
    this.drawn = undefined; // the last answer drawn, as JSON: the same one is not drawn again
    this.loads = 0;
    this.find = (id) => section.querySelector(`#${id}`);
    this.list = this.find("alert-list");
    this.expanded = new Set(); // rule codes of the groups opened, kept across reloads
    this.silencing = new Map(); // alert code -> the reason being typed in its open silence form
    if (this.list) {
      this.list.addEventListener("click", (event) => this.onClick(event));
      this.list.addEventListener("submit", (event) => this.onSilence(event));
      this.list.addEventListener("toggle", (event) => this.onToggle(event), true);
    }
  }

  /** The tick's `alerts` ({severity: n}, or null when they were not evaluated). */
  update(alerts) {
    this.find("alert-counts-unknown").hidden = alerts !== null;
    if (!alerts) return;
    for (const item of this.section.querySelectorAll(".alert-count")) {
      const n = alerts[item.dataset.severity] ?? 0;
      item.textContent = t(`alerts-${item.dataset.severity}`, { count: count(n) });
      item.dataset.count = String(n);
    }
    const key = JSON.stringify(alerts);
    if (key !== this.counts) {
      this.counts = key;
      this.load();
    }
  }

  async load() {
    if (!this.url) return;
    const load = ++this.loads;
    try {
      const query = `${OPEN}&groups=${GROUPS}&per_group=${PER_GROUP}`;
      const response = await fetch(`${this.url}groups/?${query}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      if (load !== this.loads) return; // a later load has already drawn
      // Redrawn only when it changed: a redraw replaces the rows, and with them the focus
      // and whatever a person was clicking (a reconnect reloads the same list).
      if (text === this.drawn) return;
      this.drawn = text;
      const page = JSON.parse(text);
      this.render(page.results, page.count, page.silenced);
    } catch {
      if (load !== this.loads) return;
      this.drawn = undefined;
      this.showError(t("alerts-unavailable"));
    }
  }

  render(groups, total, silenced) {
    const muted = this.find("alerts-silenced");
    muted.hidden = !silenced;
    muted.textContent = t("alerts-silenced", { count: count(silenced) });
    this.keepSilenceForms();
    this.list.replaceChildren(...groups.map((group) => (
      group.count === 1 ? this.row(group.alerts[0]) : this.group(group))));
    this.find("alerts-empty").hidden = groups.length > 0;
    const more = this.find("alerts-more");
    more.hidden = total <= groups.length;
    more.textContent = t("alerts-more", { shown: count(groups.length), total: count(total) });
  }

  group(group) {
    const template = document.getElementById("alert-group");
    const item = template.content.firstElementChild.cloneNode(true);
    const field = (name) => item.querySelector(`[data-field="${name}"]`);
    item.dataset.severity = group.severity;
    item.dataset.rule = group.rule_code;
    field("severity").textContent = labels.severities[group.severity] ?? group.severity;
    field("title").textContent = t("alert-group-title", { count: count(group.count), rule: group.rule });
    this.since(field("since"), epoch(group.latest));
    item.querySelector("ul").replaceChildren(...group.alerts.map((alert) => this.row(alert)));
    const all = field("all");
    all.textContent = t("alert-group-all", { count: count(group.count) });
    all.href = `${this.pages}?${OPEN}&rule=${group.rule_code}`;
    item.querySelector("details").open = this.expanded.has(group.rule_code);
    return item;
  }

  onToggle(event) {
    const group = event.target.closest(".alert-group");
    if (!group) return;
    if (event.target.open) this.expanded.add(group.dataset.rule);
    else this.expanded.delete(group.dataset.rule);
  }

  since(element, seconds) {
    element.textContent = t("since", { time: time(seconds) });
    element.title = fullTime(seconds);
    if (seconds != null) element.dateTime = new Date(seconds * 1000).toISOString();
  }

  row(alert) {
    const template = document.getElementById("alert-row");
    const item = template.content.firstElementChild.cloneNode(true);
    const field = (name) => item.querySelector(`[data-field="${name}"]`);
    item.dataset.code = alert.code;
    item.dataset.severity = alert.severity;
    field("severity").textContent = labels.severities[alert.severity] ?? alert.severity;
    field("summary").textContent = alert.title;
    field("summary").href = `${this.pages}${alert.code}/`;
    this.since(field("since"), epoch(alert.fired ?? alert.first_seen));
    field("tenant").textContent = alert.tenant_name ? t("alert-tenant", { tenant: alert.tenant_name }) : "";
    field("count").textContent = t("alert-seen", { count: count(alert.count) });
    const silenced = field("silenced");
    silenced.hidden = !alert.silenced;
    silenced.textContent = alert.silenced_until
      ? t("alert-silenced-until", { time: time(epoch(alert.silenced_until)) }) : t("alert-silenced");
    const acknowledged = alert.status === "acknowledged";
    field("acknowledged").hidden = !acknowledged;
    const acknowledge = item.querySelector('[data-action="acknowledge"]');
    if (acknowledge) acknowledge.hidden = acknowledged;
    // An incident is resolved with a note, on its page (the summary links there).
    const resolve = item.querySelector('[data-action="resolve"]');
    if (resolve) resolve.hidden = alert.kind === "incident";
    const silence = field("silence");
    if (silence) {
      // "until…" is the alert page's own silence form, that choice made.
      field("silence-until").href = `${this.pages}${alert.code}/?duration=until#silence`;
      if (this.silencing.has(alert.code)) {
        silence.open = true; // a reload (the counts changed) must not lose what is being typed
        silence.querySelector("input[name='reason']").value = this.silencing.get(alert.code);
      }
    }
    return item;
  }

  keepSilenceForms() {
    this.silencing.clear();
    for (const open of this.list.querySelectorAll(".alert-silence[open]")) {
      const code = open.closest("[data-code]").dataset.code;
      this.silencing.set(code, open.querySelector("input[name='reason']").value);
    }
  }

  /** "Silence 1 h / 4 h / 24 h" with a reason: the alert's rule and labels, as on its page. */
  async onSilence(event) {
    event.preventDefault();
    const form = event.target;
    const code = form.closest("[data-code]").dataset.code;
    const duration = event.submitter?.value;
    const buttons = form.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      const response = await fetch(`${this.url}${code}/silence`, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": this.csrf },
        body: JSON.stringify({ duration, reason: form.elements.reason.value }),
      });
      if (response.ok) {
        form.closest("details").open = false;
        this.showError("");
      } else if (response.status === 400 || response.status === 409) {
        const body = await response.json();
        this.showError(body.detail ?? Object.values(body).flat().join(" "));
      } else {
        throw new Error(`HTTP ${response.status}`);
      }
    } catch {
      this.showError(t("alert-action-failed"));
    }
    for (const button of buttons) button.disabled = false;
    await this.load(); // silenced or refused, the list shows where the alert is now
  }

  async onClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || !this.canAct) return;
    const code = button.closest("[data-code]").dataset.code;
    for (const other of button.parentElement.querySelectorAll("button")) other.disabled = true;
    try {
      const response = await fetch(`${this.url}${code}/${button.dataset.action}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": this.csrf },
        body: "{}",
      });
      if (response.ok) this.showError("");
      else if (response.status === 409) this.showError((await response.json()).detail);
      else throw new Error(`HTTP ${response.status}`);
    } catch {
      this.showError(t("alert-action-failed"));
    }
    await this.load(); // done or refused, the list shows where the alert is now
  }

  showError(message) {
    const error = this.find("alerts-error");
    error.textContent = message;
    error.hidden = !message;
  }
}
