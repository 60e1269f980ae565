// One tile per tenant, cloned from the page's <template id="tenant-tile">.
import { bytes, count, fullTime, percent, t, time } from "./text.js";

function fill(tile, field, text, title = "") {
  const element = tile.querySelector(`[data-field="${field}"]`);
  element.textContent = text;
  if (title) element.title = title;
  return element;
}

// data-link → the list behind a figure: the page (a data-*-url of the tile's <template>, absent
// when the reader may not open it) and its filters besides the tenant.
const LINKS = {
  signins: ["signinsUrl", {}],
  failed: ["signinsUrl", { status: "failed" }],
  risky: ["signinsUrl", { risky: "true" }],
  "mailboxes-near-quota": ["mailboxesUrl", { near_quota: "true" }],
  "onedrive-near-quota": ["onedriveUrl", { near_quota: "true" }],
};

function link(template, tile, code) {
  for (const anchor of tile.querySelectorAll("[data-link]")) {
    const [page, filters] = LINKS[anchor.dataset.link];
    const base = template.dataset[page];
    if (base) anchor.href = `${base}?${new URLSearchParams({ tenant: code, ...filters })}`;
  }
}

function services(tile, health) {
  let text = t("all-operational");
  if (health.level === "unknown") text = t("no-service-health");
  else if (health.not_operational.length) text = t("not-operational", { services: health.not_operational.join(", ") });
  fill(tile, "services", text).dataset.level = health.level;
}

function buildTile(template, tenant) {
  const tile = template.content.firstElementChild.cloneNode(true);
  tile.dataset.code = tenant.code;
  fill(tile, "name", tenant.name, tenant.name);
  fill(tile, "level", t(`level-${tenant.service_health.level}`)).dataset.level = tenant.service_health.level;
  fill(tile, "users", count(tenant.users));
  fill(tile, "users-sub", t("users-sub", { licensed: count(tenant.licensed), guests: count(tenant.guests) }));
  const licences = tenant.licences;
  fill(tile, "licences", count(licences.assigned));
  fill(tile, "licences-sub", t("licences-sub", { enabled: count(licences.enabled), unused: count(licences.unused), free: count(licences.free) }));
  fill(tile, "signins", count(tenant.signins_24h));
  const failed = { failed: count(tenant.failed_24h), rate: percent(tenant.failure_rate) };
  const signinsSub = tenant.sign_in_logs_unavailable ? t("signins-sub-premium")
    : tenant.signins_24h ? t("signins-sub", failed) : t("signins-sub-none");
  fill(tile, "signins-sub", signinsSub);
  fill(tile, "risky", count(tenant.risky_24h)).classList.toggle("bad", tenant.risky_24h > 0);
  fill(tile, "mailboxes", count(tenant.mailboxes_near_quota)).classList.toggle("warn", tenant.mailboxes_near_quota > 0);
  fill(tile, "mailboxes-sub", t("mailboxes-sub", { total: count(tenant.mailboxes) }));
  const drive = tenant.onedrive;
  fill(tile, "onedrive", bytes(drive.used));
  fill(tile, "onedrive-sub", t("onedrive-sub", { allocated: bytes(drive.allocated), near: count(drive.near_quota) }))
    .classList.toggle("warn", drive.near_quota > 0);
  services(tile, tenant.service_health);
  const synced = tenant.last_sync == null ? t("never-synced") : t("last-sync", { time: time(tenant.last_sync) });
  fill(tile, "sync", synced, fullTime(tenant.last_sync));
  link(template, tile, tenant.code);
  return tile;
}

export function renderTenants(container, empty, template, tenants) {
  container.replaceChildren(...tenants.map((tenant) => buildTile(template, tenant)));
  empty.hidden = tenants.length > 0;
}
