// Open incidents, worst first, with filters (status, severity, service); updates live.

import { api, enc, qs } from "./api.js";
import { debounce, empty, field, h, replace, select, sevBadge, sinceEl, statusBadge, timeEl } from "./dom.js";

const STATUSES = [
  ["open", "Open (not resolved)"],
  ["all", "All"],
  ["triggered", "Triggered"],
  ["acknowledged", "Acknowledged"],
  ["investigating", "Investigating"],
  ["mitigating", "Mitigating"],
  ["resolved", "Resolved"],
];
const SEVERITIES = [["", "Any severity"], ["P0", "P0 critical"], ["P1", "P1 high"], ["P2", "P2 medium"], ["P3", "P3 low"]];

export function incidentCard(inc) {
  return h(
    "li",
    { class: ["card", `sev-border-${inc.severity}`], dataset: { incident: inc.id, status: inc.status } },
    h("div", { class: "row" }, sevBadge(inc.severity), statusBadge(inc.status), h("span", { class: "muted mono" }, inc.id)),
    h("a", { class: "title", href: `#/incident/${enc(inc.id)}` }, inc.title),
    h(
      "div",
      { class: "meta" },
      inc.service ? h("span", null, "service ", h("b", null, inc.service)) : null,
      h("span", null, "owner ", h("b", null, inc.owner || "nobody")),
      h("span", null, inc.resolved_at ? "was open " : "open for ", sinceEl(inc.triggered_at, inc.resolved_at)),
      h("span", null, "triggered ", timeEl(inc.triggered_at)),
      h("span", null, `${inc.firing_count}/${inc.alert_count} alerts firing`),
    ),
  );
}

export async function render(main, { params }) {
  const filters = {
    status: params.get("status") || "open",
    severity: params.get("severity") || "",
    service: params.get("service") || "",
  };
  const list = h("ul", { class: "list", id: "incident-list", "aria-live": "polite" });
  const count = h("span", { class: "muted" });
  const services = h("datalist", { id: "services" });
  const form = h(
    "form",
    { class: "form panel", role: "search", "aria-label": "Filter incidents" },
    field("Status", select("status", STATUSES, filters.status)),
    field("Severity", select("severity", SEVERITIES, filters.severity)),
    field("Service", h("input", { name: "service", list: "services", value: filters.service, placeholder: "any service" })),
    services,
  );
  const apply = () => {
    const fd = new FormData(form);
    filters.status = fd.get("status");
    filters.severity = fd.get("severity");
    filters.service = String(fd.get("service") || "").trim();
    const q = qs({ status: filters.status === "open" ? "" : filters.status, severity: filters.severity, service: filters.service });
    history.replaceState(null, "", `#/${q}`);
    load();
  };
  form.addEventListener("change", apply);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    apply();
  });

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const data = await api(`/api/incidents${qs({ status: filters.status, severity: filters.severity, service: filters.service, limit: 200 })}`);
    if (mine !== seq) return;
    const items = data.items;
    replace(list, items.length ? items.map(incidentCard) : empty(filters.status === "open" ? "No open incidents. All quiet." : "No incidents match."));
    count.textContent = `${items.length}${data.has_more ? "+" : ""} shown`;
    const known = new Set([...services.querySelectorAll("option")].map((o) => o.value));
    for (const i of items) {
      if (i.service && !known.has(i.service)) {
        known.add(i.service);
        services.append(h("option", { value: i.service }));
      }
    }
  }

  replace(
    main,
    h("div", { class: "spread" }, h("h1", null, filters.status === "open" ? "Open incidents" : "Incidents"), count),
    form,
    list,
  );
  await load();
  const reload = debounce(() => load().catch(() => {}), 120);
  return {
    onEvent(ev) {
      if (ev.kind.startsWith("incident.")) reload();
    },
    refresh: reload,
  };
}
