// One incident: header, actions, live timeline, alerts, analysis and postmortem (when served).

import { api, ApiError, enc } from "./api.js";
import { debounce, empty, field, h, localTime, pill, replace, select, sevBadge, sinceEl, statusBadge, table, timeEl } from "./dom.js";
import { markdownEl } from "./markdown.js";
import { busy, linkEl, onSubmit, senderText, toast } from "./ui.js";

const NEXT = ["acknowledged", "investigating", "mitigating", "resolved"];

function tlClass(kind, item) {
  if (kind === "message.published") {
    const theme = item.message.theme || "";
    if (theme === "incident-alert") return "k-triggered";
    if (theme === "incident-resolved") return "k-resolved";
    return "k-message";
  }
  if (kind.startsWith("incident.")) return kind === "incident.resolved" ? "k-resolved" : "k-status";
  if (kind.startsWith("alert.")) return "k-alert";
  if (kind.startsWith("delivery.")) return "k-delivery";
  if (kind.includes("page") || kind.includes("escalat")) return "k-page";
  return "k-other";
}

function eventLine(item) {
  const d = item.data || {};
  const who = d.by_name || d.by || "";
  const verb = item.kind.replace(/^[a-z]+\./, "").replace(/_/g, " ");
  const bits = [];
  if (d.from_status && d.to_status) bits.push(`${d.from_status} → ${d.to_status}`);
  if (d.reason) bits.push(d.reason);
  if (d.owner) bits.push(`owner ${d.owner}`);
  if (d.level !== undefined) bits.push(`level ${d.level}`);
  if (d.user || d.target) bits.push(String(d.user || d.target));
  if (d.channel && item.kind.startsWith("delivery.")) bits.push(`via ${d.channel}`);
  if (d.error) bits.push(String(d.error));
  return h(
    "div",
    null,
    h("div", { class: "tl-head" }, h("span", { class: "tl-title" }, verb), who ? h("span", null, `by ${who}`) : null, timeEl(item.ts)),
    bits.length ? h("div", { class: "small" }, bits.join(" · ")) : null,
  );
}

function timelineItem(item) {
  const cls = tlClass(item.kind, item);
  if (item.kind === "message.published") {
    const m = item.message;
    return h(
      "li",
      { class: cls, dataset: { event: String(item.id) } },
      h("div", { class: "tl-head" }, h("span", { class: "tl-title" }, m.title), h("span", null, senderText(m)), timeEl(m.created_at)),
      m.body ? markdownEl(m.body) : null,
      (m.links || []).length ? h("div", { class: "links" }, m.links.map(linkEl)) : null,
    );
  }
  return h("li", { class: cls, dataset: { event: String(item.id) } }, eventLine(item));
}

async function optional(path) {
  try {
    return await api(path, { quiet401: true });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
    throw err;
  }
}

export async function render(main, { arg }) {
  const ref = arg;
  let inc = null;
  const header = h("section", { class: "incident-head", "aria-label": "Incident" });
  const factsBox = h("div");
  const timeline = h("ol", { class: "timeline", id: "timeline", "aria-live": "polite" });
  const alertsBox = h("div");
  const analysisBox = h("div");
  const pmBox = h("div", { id: "postmortem" });

  const statusSel = select("status", NEXT.map((s) => [s, s]), "investigating");
  const reason = h("input", { name: "reason", placeholder: "why (optional)" });
  const statusForm = onSubmit(
    h("form", { class: "form", "aria-label": "Change status" }, field("New status", statusSel), field("Reason", reason), h("button", { type: "submit", class: "big" }, "Change status")),
    async (fd, form) => {
      const out = await api(`/api/incidents/${enc(ref)}/status`, { method: "POST", body: { status: fd.get("status"), reason: fd.get("reason") || "" } });
      toast(out.note || `Status: ${out.status}`);
      form.reset();
      await load();
    },
  );
  const noteForm = onSubmit(
    h(
      "form",
      { class: "form", "aria-label": "Add a note" },
      field("Note (markdown)", h("textarea", { name: "text", required: true, rows: 3 }), "wide"),
      h("button", { type: "submit", class: "big" }, "Add note"),
    ),
    async (fd, form) => {
      await api(`/api/incidents/${enc(ref)}/notes`, { method: "POST", body: { text: fd.get("text") } });
      form.reset();
      toast("Note added");
      await load();
    },
  );
  const ackBtn = h("button", { type: "button", class: "big primary", id: "ack" }, "Acknowledge");
  ackBtn.addEventListener("click", () =>
    busy(ackBtn, async () => {
      const out = await api(`/api/incidents/${enc(ref)}/acknowledge`, { method: "POST", body: {} });
      toast(out.note || "Acknowledged");
      await load();
    }),
  );
  const escBtn = h("button", { type: "button", class: "big", id: "escalate" }, "Escalate");
  escBtn.addEventListener("click", () =>
    busy(escBtn, async () => {
      await api(`/api/incidents/${enc(ref)}/escalate`, { method: "POST", body: {} });
      toast("Escalated to the next level");
      await load();
    }),
  );
  const resolveBtn = h("button", { type: "button", class: "big", id: "resolve" }, "Resolve");
  resolveBtn.addEventListener("click", () =>
    busy(resolveBtn, async () => {
      await api(`/api/incidents/${enc(ref)}/resolve`, { method: "POST", body: {} });
      toast("Resolved");
      await load();
    }),
  );
  const reopenBtn = h("button", { type: "button", class: "big", id: "reopen" }, "Reopen");
  reopenBtn.addEventListener("click", () =>
    busy(reopenBtn, async () => {
      await api(`/api/incidents/${enc(ref)}/reopen`, { method: "POST", body: {} });
      await load();
    }),
  );

  function renderHeader() {
    const resolved = inc.status === "resolved";
    ackBtn.hidden = inc.status !== "triggered";
    resolveBtn.hidden = resolved;
    reopenBtn.hidden = !resolved;
    replace(
      header,
      h("div", { class: "row" }, h("a", { href: "#/" }, "← incidents"), h("span", { class: "muted mono" }, inc.id)),
      h("h1", null, inc.title),
      h("div", { class: "row", id: "incident-status" }, sevBadge(inc.severity), statusBadge(inc.status)),
    );
    replace(
      factsBox,
      h(
        "dl",
        { class: "facts" },
        fact("Status", h("span", { id: "status-text" }, inc.status)),
        fact("Severity", `${inc.severity} ${inc.priority}`),
        fact("Service", inc.service || "–"),
        fact("Owner", inc.owner || "nobody"),
        fact(inc.resolved_at ? "Was open for" : "Open for", sinceEl(inc.triggered_at, inc.resolved_at)),
        fact("Triggered", h("span", { title: localTime(inc.triggered_at) }, localTime(inc.triggered_at))),
        fact("Alerts firing", `${inc.firing_count} of ${inc.alert_count}`),
        fact("Channel", h("a", { href: `#/channel/${enc(inc.channel)}` }, `#${inc.channel}`)),
        inc.commander ? fact("Commander", inc.commander) : null,
        inc.merged_into ? fact("Merged into", h("a", { href: `#/incident/${enc(inc.merged_into)}` }, inc.merged_into)) : null,
      ),
      inc.summary ? markdownEl(inc.summary) : null,
    );
  }

  function renderAlerts(alerts) {
    if (!alerts.length) return replace(alertsBox, empty("No alerts: this incident was declared by hand."));
    replace(
      alertsBox,
      table(
        ["Alert", "Status", "Severity", "Service", "Count", "Last seen", "Why this severity"],
        alerts.map((a) => [
          h("span", null, h("b", null, a.title), a.description ? h("div", { class: "small muted" }, a.description) : null, (a.links || []).length ? h("div", { class: "links" }, a.links.map(linkEl)) : null),
          a.silenced_by ? h("span", null, a.status, " ", pill(`silenced ${a.silenced_by}`)) : a.status,
          sevBadge(a.severity),
          a.service || "–",
          String(a.count),
          timeEl(a.last_seen),
          h("span", { class: "small" }, a.severity_rule || ""),
        ]),
      ),
    );
  }

  async function loadExtras() {
    const [analysis, pm] = await Promise.all([optional(`/api/incidents/${enc(ref)}/analysis`), optional(`/api/incidents/${enc(ref)}/postmortem`)]);
    replace(analysisBox, analysis ? structured(analysis) : empty("No analysis yet."));
    if (pm) return replace(pmBox, pm.version ? h("p", { class: "muted small" }, `version ${pm.version}`) : null, structured(pm));
    const draft = h("button", { type: "button", id: "draft-postmortem" }, "Draft a postmortem");
    draft.addEventListener("click", () =>
      busy(draft, async () => {
        await api(`/api/incidents/${enc(ref)}/postmortem`, { method: "POST", body: {} });
        await loadExtras();
      }),
    );
    replace(pmBox, empty("No postmortem draft yet."), h("div", { class: "actions" }, draft));
  }

  async function load() {
    const [detail, tl] = await Promise.all([api(`/api/incidents/${enc(ref)}`), api(`/api/incidents/${enc(ref)}/timeline`)]);
    inc = detail;
    renderHeader();
    renderAlerts(detail.alerts || []);
    const items = tl.items.slice().reverse(); // newest first: what just happened is on top
    replace(timeline, items.length ? items.map(timelineItem) : empty("Nothing yet."));
  }

  const actions = h("div", { class: "actions", role: "group", "aria-label": "Actions" }, ackBtn, escBtn, resolveBtn, reopenBtn);
  replace(
    main,
    h(
      "div",
      { class: "grid2" },
      h(
        "div",
        null,
        h("div", { class: "panel" }, header, actions, factsBox),
        h("section", { class: "panel", "aria-label": "Timeline" }, h("h2", null, "Timeline"), timeline),
      ),
      h(
        "div",
        null,
        h("section", { class: "panel" }, h("h2", null, "Change status"), statusForm),
        h("section", { class: "panel" }, h("h2", null, "Add a note"), noteForm),
        h("section", { class: "panel" }, h("h2", null, "Analysis"), analysisBox),
        h("section", { class: "panel" }, h("h2", null, "Postmortem"), pmBox),
      ),
    ),
    h("section", { class: "panel", "aria-label": "Alerts" }, h("h2", null, "Alerts"), alertsBox),
  );
  await load();
  loadExtras().catch(() => replace(pmBox, empty("The postmortem could not be loaded.")));

  const reload = debounce(() => load().catch((e) => toast(e.message, true)), 120);
  const reloadExtras = debounce(() => loadExtras().catch(() => {}), 500);
  return {
    onEvent(ev) {
      if (!inc) return;
      const d = ev.data || {};
      const mine =
        ev.thread_id === inc.thread_id ||
        d.incident === inc.id ||
        (d.incident && d.incident.id === inc.id);
      if (mine) {
        reload();
        if (/analysis|postmortem|resolved/.test(ev.kind)) reloadExtras();
      }
    },
    refresh() {
      reload();
      reloadExtras();
    },
  };
}

function fact(label, value) {
  return h("div", null, h("dt", null, label), h("dd", null, value));
}

// Analysis and postmortem: markdown when the server sends it, otherwise a readable outline.
function structured(obj) {
  const md = obj.markdown || obj.body || obj.draft || obj.text;
  if (typeof md === "string") return markdownEl(md);
  return outline(obj);
}

function outline(value, depth = 0) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "–");
  if (Array.isArray(value)) {
    if (!value.length) return h("span", { class: "muted" }, "none");
    return h("ul", null, value.map((v) => h("li", null, outline(v, depth + 1))));
  }
  if (typeof value === "object") {
    if (depth > 4) return h("span", null, JSON.stringify(value));
    return h(
      "dl",
      { class: depth === 0 ? "kv top" : "kv" },
      Object.entries(value).map(([k, v]) => h("div", null, h("dt", null, k.replace(/_/g, " ")), h("dd", null, outline(v, depth + 1)))),
    );
  }
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return timeEl(value);
  return h("span", null, String(value));
}
