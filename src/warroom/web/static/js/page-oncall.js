// Who is on call now, per schedule.

import { api, ApiError } from "./api.js";
import { empty, h, localTime, replace, table, timeEl } from "./dom.js";

export async function render(main) {
  const box = h("div", { id: "oncall" });
  replace(main, h("h1", null, "Who is on call"), box);

  async function load() {
    let data;
    let schedules = [];
    try {
      [data, { schedules }] = await Promise.all([api("/api/oncall"), api("/api/schedules")]);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return replace(box, empty("This server does not page yet."));
      throw err;
    }
    const rows = data.on_call || [];
    replace(
      box,
      h("p", { class: "muted" }, "As of ", h("span", { title: data.at }, localTime(data.at))),
      rows.length
        ? table(
            ["Schedule", "Who", "Since", "Until", "Why"],
            rows.map((r) => [r.schedule_name || r.schedule, h("b", null, r.name || r.user), timeEl(r.from), h("span", null, localTime(r.until), " (", timeEl(r.until), ")"), r.source]),
          )
        : empty(schedules.length ? "Nobody is on call right now." : "No schedules yet: create one with `warroom schedule` or PUT /api/schedules/{id}."),
      schedules.length ? h("h2", null, "Schedules") : null,
      schedules.length ? h("ul", null, schedules.map((s) => h("li", null, h("b", null, s.name || s.id), s.time_zone ? ` (${s.time_zone})` : ""))) : null,
    );
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 60000);
  return { refresh: () => load().catch(() => {}), destroy: () => clearInterval(timer) };
}
