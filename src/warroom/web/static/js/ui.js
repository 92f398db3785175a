// Shared pieces: toasts, buttons that show they are working, and how a message looks.

import { h, pill, sevBadge, timeEl } from "./dom.js";
import { markdownEl } from "./markdown.js";

let toastTimer = null;
export function toast(text, isError = false) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.className = isError ? "toast error" : "toast";
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), isError ? 7000 : 3000);
}

// Run `fn` for a button click: disable while running, report errors in a toast.
export async function busy(btn, fn) {
  if (btn) btn.disabled = true;
  try {
    return await fn();
  } catch (err) {
    toast(err.message || String(err), true);
    return undefined;
  } finally {
    if (btn) btn.disabled = false;
  }
}

export function button(text, onClick, cls = "") {
  const b = h("button", { type: "button", class: cls }, text);
  b.addEventListener("click", () => busy(b, () => onClick(b)));
  return b;
}

// Handle a form's submit with busy state; `fn(formData, form)`.
export function onSubmit(form, fn) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const btn = form.querySelector("button[type=submit]");
    busy(btn, () => fn(new FormData(form), form));
  });
  return form;
}

export function linkEl(link) {
  const url = typeof link === "string" ? link : link && link.url;
  const title = (typeof link === "object" && link && link.title) || url;
  if (!url || !/^https?:\/\//i.test(url)) return h("span", null, title || "");
  return h("a", { href: url, rel: "noopener noreferrer nofollow", target: "_blank" }, title);
}

export function senderText(m) {
  const s = m.sender || {};
  const who = s.name || s.user_id || m.published_by || "unknown";
  const extra = [s.role, s.ai_tool ? `via ${s.ai_tool}` : null].filter(Boolean).join(", ");
  return extra ? `${who} (${extra})` : who;
}

// One message, as in a channel feed or a search result.
export function messageEl(m, { onReply, showChannel = false, fresh = false } = {}) {
  const head = h(
    "div",
    { class: "spread" },
    h("span", { class: "msg-title" }, m.title),
    h("span", { class: "row" }, sevBadge(m.priority), timeEl(m.created_at)),
  );
  const meta = h(
    "div",
    { class: "meta" },
    h("span", null, senderText(m)),
    showChannel ? h("a", { href: `#/channel/${encodeURIComponent(m.channel)}` }, `#${m.channel}`) : null,
    m.theme ? pill(m.theme) : null,
    m.thread_id ? h("span", null, "thread ", h("span", { class: "mono" }, m.thread_id)) : null,
    m.in_reply_to ? h("span", null, `reply to #${m.in_reply_to}`) : null,
    h("span", { class: "muted mono" }, `#${m.id}`),
  );
  const tags = (m.tags || []).length ? h("div", { class: "tags" }, m.tags.map((t) => pill(`#${t}`))) : null;
  const links = (m.links || []).length ? h("div", { class: "links" }, m.links.map(linkEl)) : null;
  const body = m.body ? markdownEl(m.body) : null;
  const reply = onReply ? h("button", { type: "button", class: "small", onclick: () => onReply(m) }, "Reply") : null;
  return h(
    "li",
    { class: ["msg", `prio-${m.priority}`, fresh ? "fresh" : ""], dataset: { id: String(m.id) } },
    head,
    meta,
    body,
    tags,
    links,
    reply ? h("div", { class: "row" }, reply) : null,
  );
}
