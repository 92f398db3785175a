// Channels you can see (the API hides confidential ones you may not read).

import { api, enc } from "./api.js";
import { debounce, empty, h, pill, replace, timeEl } from "./dom.js";

export async function render(main) {
  const list = h("ul", { class: "list", id: "channel-list" });
  replace(main, h("h1", null, "Channels"), list);

  async function load() {
    const { channels } = await api("/api/channels");
    replace(
      list,
      channels.length
        ? channels.map((c) =>
            h(
              "li",
              { class: "card", dataset: { channel: c.id } },
              h("div", { class: "row" }, h("a", { class: "title", href: `#/channel/${enc(c.id)}` }, `#${c.id}`), pill(c.visibility), c.incident_enabled ? pill("incidents") : null, c.archived ? pill("archived") : null),
              c.description ? h("div", null, c.description) : null,
              h(
                "div",
                { class: "meta" },
                h("span", null, `${c.stats.messages} messages`),
                h("span", null, `${c.stats.subscribers} subscribers`),
                h("span", null, "last ", timeEl(c.stats.last_message_at)),
                h("span", null, `you may ${c.permissions.join(", ") || "nothing"}`),
              ),
            ),
          )
        : empty("No channels you can see yet."),
    );
  }
  await load();
  const reload = debounce(() => load().catch(() => {}), 400);
  return {
    onEvent(ev) {
      if (ev.kind.startsWith("channel.") || ev.kind === "message.published") reload();
    },
    refresh: reload,
  };
}
