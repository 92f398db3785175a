// Stats over the last 90 days, computed here from /api/incidents (a later /api/stats may
// replace the fetching; the charts stay): by severity, by service, MTTA/MTTR by week.

import { api, qs } from "./api.js";
import { debounce, duration, h, replace } from "./dom.js";
import { barChart, lineChart } from "./charts.js";

async function fetchAll(since) {
  const items = [];
  let before = null;
  for (let i = 0; i < 20; i++) {
    const page = await api(`/api/incidents${qs({ status: "all", since, limit: 500, before })}`);
    items.push(...page.items);
    if (!page.has_more || !page.items.length) break;
    before = page.items[page.items.length - 1].number;
  }
  return items;
}

function weekStart(d) {
  const x = new Date(d);
  x.setHours(0, 0, 0, 0);
  x.setDate(x.getDate() - ((x.getDay() + 6) % 7)); // Monday, in the viewer's zone
  return x;
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const minutesBetween = (a, b) => (new Date(b) - new Date(a)) / 60000;

export function computeStats(items, now = new Date()) {
  const bySeverity = { P0: 0, P1: 0, P2: 0, P3: 0 };
  const byService = new Map();
  for (const i of items) {
    bySeverity[i.severity] = (bySeverity[i.severity] || 0) + 1;
    const svc = i.service || "(none)";
    byService.set(svc, (byService.get(svc) || 0) + 1);
  }
  const weeks = [];
  const first = weekStart(new Date(now.getTime() - 12 * 7 * 86400000));
  for (let w = new Date(first); w <= now; w.setDate(w.getDate() + 7)) weeks.push(new Date(w));
  const ack = weeks.map(() => []);
  const res = weeks.map(() => []);
  for (const i of items) {
    const ws = weekStart(new Date(i.triggered_at)).getTime();
    const idx = weeks.findIndex((w) => w.getTime() === ws);
    if (idx < 0) continue;
    if (i.acknowledged_at) ack[idx].push(minutesBetween(i.triggered_at, i.acknowledged_at));
    if (i.resolved_at) res[idx].push(minutesBetween(i.triggered_at, i.resolved_at));
  }
  const fmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
  return {
    total: items.length,
    open: items.filter((i) => i.status !== "resolved").length,
    mtta: mean(items.filter((i) => i.acknowledged_at).map((i) => minutesBetween(i.triggered_at, i.acknowledged_at))),
    mttr: mean(items.filter((i) => i.resolved_at).map((i) => minutesBetween(i.triggered_at, i.resolved_at))),
    bySeverity,
    byService: [...byService.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
    weekLabels: weeks.map((w) => fmt.format(w)),
    mttaByWeek: ack.map(mean),
    mttrByWeek: res.map(mean),
  };
}

export async function render(main) {
  const box = h("div", { id: "stats" });
  replace(main, h("h1", null, "Stats: last 90 days"), box);

  async function load() {
    const st = computeStats(await fetchAll("90d"));
    // Draw at the size shown, so chart text stays readable on a phone and a laptop alike.
    const full = Math.max(300, box.clientWidth - 34);
    const half = window.matchMedia("(max-width: 720px)").matches ? full : Math.max(300, full / 2 - 20);
    const kpi = (label, value) => h("div", { class: "kpi" }, h("span", { class: "muted small" }, label), h("b", null, value));
    replace(
      box,
      h(
        "div",
        { class: "kpis" },
        kpi("Incidents", String(st.total)),
        kpi("Still open", String(st.open)),
        kpi("MTTA (mean)", st.mtta === null ? "–" : duration(st.mtta * 60)),
        kpi("MTTR (mean)", st.mttr === null ? "–" : duration(st.mttr * 60)),
      ),
      h(
        "div",
        { class: "charts" },
        h(
          "section",
          { class: "panel chart", id: "chart-severity" },
          h("h2", null, "By severity"),
          barChart(
            Object.entries(st.bySeverity).map(([sev, n]) => ({ label: `${sev} ${{ P0: "critical", P1: "high", P2: "medium", P3: "low" }[sev]}`, value: n, cls: sev })),
            { title: "Incidents by severity", width: half },
          ),
        ),
        h(
          "section",
          { class: "panel chart", id: "chart-service" },
          h("h2", null, "By service (top 10)"),
          barChart(st.byService.map(([svc, n]) => ({ label: svc, value: n })), { title: "Incidents by service", width: half }),
        ),
      ),
      h(
        "section",
        { class: "panel chart", id: "chart-mttx" },
        h("h2", null, "MTTA and MTTR by week"),
        h("div", { class: "legend" }, h("span", null, h("span", { class: "swatch-a" }), "MTTA: time to acknowledge"), h("span", null, h("span", { class: "swatch-r" }), "MTTR: time to resolve")),
        lineChart(st.weekLabels, st.mttaByWeek, st.mttrByWeek, { title: "Mean time to acknowledge and to resolve, by week", width: full }),
      ),
    );
  }
  await load();
  const reload = debounce(() => load().catch(() => {}), 2000);
  return {
    onEvent(ev) {
      if (ev.kind.startsWith("incident.")) reload();
    },
    refresh: reload,
  };
}
