// Silences and maintenance windows: list, create, expire.

import { api, enc, qs } from "./api.js";
import { empty, field, h, localTime, replace, select, table, timeEl } from "./dom.js";
import { busy, onSubmit, toast } from "./ui.js";

export async function render(main) {
  const listBox = h("div", { id: "silence-list" });
  let stateFilter = "";
  const filter = select("state", [["", "All"], ["active", "Active"], ["pending", "Pending"], ["expired", "Expired"]], "");
  filter.addEventListener("change", () => {
    stateFilter = filter.value;
    load();
  });

  const form = h(
    "form",
    { class: "form", id: "silence-form", "aria-label": "Create a silence" },
    field("Matchers, one per line (=, !=, =~, !~)", h("textarea", { name: "matchers", required: true, rows: 3, placeholder: 'service="user-api"\nenv=~"prod|staging"' }), "wide"),
    field("Duration", h("input", { name: "duration", value: "2h", placeholder: "30m, 2h, 1d" })),
    field("Or starts at", h("input", { name: "starts_at", type: "datetime-local" })),
    field("Or ends at", h("input", { name: "ends_at", type: "datetime-local" })),
    field("Comment", h("input", { name: "comment", placeholder: "DB failover" }), "wide"),
    h("div", { class: "wide" }, h("button", { type: "submit", class: "big primary" }, "Create silence")),
  );
  onSubmit(form, async (fd, f) => {
    const body = {
      matchers: String(fd.get("matchers") || "").split("\n").map((l) => l.trim()).filter(Boolean),
      comment: String(fd.get("comment") || ""),
    };
    // datetime-local is the viewer's zone; the API wants an absolute time.
    if (fd.get("starts_at")) body.starts_at = new Date(fd.get("starts_at")).toISOString();
    if (fd.get("ends_at")) body.ends_at = new Date(fd.get("ends_at")).toISOString();
    else body.duration = String(fd.get("duration") || "2h");
    const s = await api("/api/silences", { method: "POST", body });
    toast(`Silence ${s.id} created`);
    f.reset();
    await load();
  });

  async function load() {
    const { silences } = await api(`/api/silences${qs({ state: stateFilter })}`);
    if (!silences.length) return replace(listBox, empty("No silences."));
    replace(
      listBox,
      table(
        ["State", "Matchers", "From", "Until", "Comment", "By", ""],
        silences.map((s) => {
          const expire = s.state === "expired" ? null : h("button", { type: "button", class: "small danger" }, "Expire");
          if (expire) {
            expire.addEventListener("click", () =>
              busy(expire, async () => {
                await api(`/api/silences/${enc(s.id)}`, { method: "DELETE" });
                toast(`Silence ${s.id} expired`);
                await load();
              }),
            );
          }
          return [
            h("b", null, s.state),
            h("span", { class: "mono" }, s.matchers.join(", ")),
            h("span", { title: localTime(s.starts_at) }, localTime(s.starts_at)),
            h("span", null, localTime(s.ends_at), " (", timeEl(s.ends_at), ")"),
            s.comment || "–",
            s.created_by,
            expire,
          ];
        }),
      ),
    );
  }

  replace(
    main,
    h("h1", null, "Silences"),
    h("section", { class: "panel" }, h("h2", null, "New silence"), form),
    h("section", { class: "panel" }, h("div", { class: "spread" }, h("h2", null, "Silences"), field("Show", filter)), listBox),
  );
  await load();
  return {
    onEvent(ev) {
      if (ev.kind.startsWith("silence.")) load().catch(() => {});
    },
    refresh: () => load().catch(() => {}),
  };
}
