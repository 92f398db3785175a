// A channel's live feed (newest first) and a publish form honouring the full message model.

import { api, enc, qs } from "./api.js";
import { empty, field, h, replace, select } from "./dom.js";
import { messageEl, onSubmit, toast } from "./ui.js";

const THEMES = [
  "incident-alert", "incident-update", "incident-decision", "incident-resolved", "root-cause",
  "blocker", "deployment", "status-update", "question", "fyi",
];
const PRIORITIES = [["critical", "P0 critical"], ["high", "P1 high"], ["medium", "P2 medium"], ["low", "P3 low"]];

// One link per line: a bare URL, or "title | URL".
export function parseLinks(text) {
  return String(text || "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const bar = l.lastIndexOf("|");
      if (bar < 0) return l;
      const title = l.slice(0, bar).trim();
      const url = l.slice(bar + 1).trim();
      return title ? { url, title } : url;
    });
}

export async function render(main, { arg }) {
  const id = arg;
  const chan = await api(`/api/channels/${enc(id)}`);
  const feed = h("ul", { class: "feed", id: "feed", "aria-live": "polite" });
  const seen = new Set();
  const canPublish = (chan.permissions || []).includes("publish") || (chan.permissions || []).includes("admin");

  const form = h(
    "form",
    { class: "form", id: "publish", "aria-label": "Publish a message" },
    field("Title", h("input", { name: "title", required: true, maxlength: 200, placeholder: "What is happening?" }), "wide"),
    field("Body (markdown)", h("textarea", { name: "body", rows: 4 }), "wide"),
    field("Priority", select("priority", PRIORITIES, "medium")),
    field("Theme", h("input", { name: "theme", list: "themes", placeholder: "incident-update" })),
    h("datalist", { id: "themes" }, THEMES.map((t) => h("option", { value: t }))),
    field("Tags (comma separated)", h("input", { name: "tags", placeholder: "database, production" })),
    field("Thread", h("input", { name: "thread_id", placeholder: "INC-42" })),
    field("Reply to (message id)", h("input", { name: "in_reply_to", inputmode: "numeric", pattern: "[0-9]*" })),
    field("Links (one per line: url or title | url)", h("textarea", { name: "links", rows: 2 }), "wide"),
    h("div", { class: "wide row" }, h("button", { type: "submit", class: "big primary" }, "Publish")),
  );
  onSubmit(form, async (fd, f) => {
    const body = {
      title: String(fd.get("title") || "").trim(),
      body: String(fd.get("body") || ""),
      priority: fd.get("priority"),
      tags: String(fd.get("tags") || "").split(",").map((t) => t.trim()).filter(Boolean),
      links: parseLinks(fd.get("links")),
    };
    const theme = String(fd.get("theme") || "").trim();
    const thread = String(fd.get("thread_id") || "").trim();
    const reply = String(fd.get("in_reply_to") || "").trim();
    if (theme) body.theme = theme;
    if (thread) body.thread_id = thread;
    if (reply) body.in_reply_to = Number(reply);
    const m = await api(`/api/channels/${enc(id)}/messages`, { method: "POST", body });
    add(m, true);
    f.reset();
    toast(`Published #${m.id}`);
  });

  function onReply(m) {
    form.elements.in_reply_to.value = String(m.id);
    form.elements.thread_id.value = m.thread_id || "";
    form.elements.title.value = m.title.startsWith("Re: ") ? m.title : `Re: ${m.title}`.slice(0, 200);
    form.elements.body.focus();
  }

  function add(m, fresh) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    const el = messageEl(m, { onReply: canPublish ? onReply : null, fresh });
    const placeholder = feed.querySelector(".empty");
    if (placeholder) placeholder.remove();
    // keep newest first even if events arrive out of order
    const after = [...feed.children].find((c) => Number(c.dataset.id) < m.id);
    feed.insertBefore(el, after || null);
  }

  async function load() {
    const page = await api(`/api/channels/${enc(id)}/messages${qs({ limit: 100 })}`);
    seen.clear();
    replace(feed);
    for (const m of page.items.slice().reverse()) add(m, false);
    if (!page.items.length) replace(feed, empty("No messages yet."));
  }

  replace(
    main,
    h("div", { class: "row" }, h("a", { href: "#/channels" }, "← channels")),
    h("h1", null, `#${chan.id}`),
    chan.description ? h("p", { class: "muted" }, chan.description) : null,
    h(
      "div",
      { class: "grid2" },
      h("section", { "aria-label": "Feed" }, feed),
      canPublish
        ? h(
            "details",
            { class: "panel publish-panel", open: window.matchMedia("(min-width: 721px)").matches },
            h("summary", null, h("h2", { class: "inline" }, "Publish a message")),
            form,
          )
        : h("p", { class: "notice" }, "You may read this channel but not publish to it."),
    ),
  );
  await load();
  return {
    onEvent(ev) {
      if (ev.kind === "message.published" && ev.channel === id) add(ev.data, true);
    },
    refresh: () => load().catch(() => {}),
  };
}
