// Search: messages (full text, across readable channels) or incidents (by time window).

import { api, qs } from "./api.js";
import { empty, field, h, replace, select } from "./dom.js";
import { incidentCard } from "./page-incidents.js";
import { messageEl, onSubmit } from "./ui.js";

const SINCE = [["24h", "last 24 hours"], ["7d", "last 7 days"], ["30d", "last 30 days"], ["90d", "last 90 days"], ["", "any time"]];

export async function render(main, { params }) {
  const state = { what: params.get("what") || "messages", q: params.get("q") || "", since: params.has("since") ? params.get("since") : "30d" };
  const results = h("div", { id: "results", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "form panel", role: "search" },
    field("Words", h("input", { name: "q", type: "search", value: state.q, placeholder: "connection pool" }), "wide"),
    field("Search in", select("what", [["messages", "Messages"], ["incidents", "Incidents"]], state.what)),
    field("When", select("since", SINCE, state.since)),
    h("button", { type: "submit", class: "big primary" }, "Search"),
  );
  onSubmit(form, async (fd) => {
    state.q = String(fd.get("q") || "").trim();
    state.what = fd.get("what");
    state.since = fd.get("since");
    history.replaceState(null, "", `#/search${qs(state)}`);
    await run();
  });

  async function run() {
    replace(results, h("p", { class: "muted" }, "Searching…"));
    if (state.what === "incidents") {
      const data = await api(`/api/incidents${qs({ status: "all", since: state.since, limit: 500 })}`);
      const words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
      const hits = data.items.filter((i) => {
        const hay = `${i.id} ${i.title} ${i.service || ""} ${i.summary || ""} ${i.owner || ""}`.toLowerCase();
        return words.every((w) => hay.includes(w));
      });
      replace(results, h("p", { class: "muted" }, `${hits.length} incidents`), hits.length ? h("ul", { class: "list" }, hits.map(incidentCard)) : empty("No incident matches."));
    } else {
      const data = await api(`/api/messages${qs({ q: state.q, since: state.since, limit: 100 })}`);
      replace(
        results,
        h("p", { class: "muted" }, `${data.items.length}${data.has_more ? "+" : ""} messages, newest first`),
        data.items.length ? h("ul", { class: "feed" }, data.items.map((m) => messageEl(m, { showChannel: true }))) : empty("No message matches."),
      );
    }
  }

  replace(main, h("h1", null, "Search"), form, results);
  if (state.q || params.has("what")) await run();
  return { refresh: () => (state.q ? run().catch(() => {}) : null) };
}
