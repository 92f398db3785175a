// Building DOM safely: every string becomes a text node or an attribute value, never HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  if (!attrs) return el;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = Array.isArray(v) ? v.filter(Boolean).join(" ") : v;
    else if (k === "text") el.textContent = String(v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked" || k === "selected" || k === "disabled" || k === "required") el[k] = Boolean(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// -- severity, status ------------------------------------------------------------------

const SEV_WORD = { P0: "critical", P1: "high", P2: "medium", P3: "low" };
const PRIO_SEV = { critical: "P0", high: "P1", medium: "P2", low: "P3" };

export function sevBadge(sev) {
  const s = SEV_WORD[sev] ? sev : PRIO_SEV[sev] || "P3";
  return h("span", { class: `sev sev-${s}`, title: `severity ${s}` }, `${s} ${SEV_WORD[s]}`);
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, status || "unknown");
}

export function pill(text) {
  return h("span", { class: "pill" }, text);
}

// -- time: the viewer's zone, and relative times that keep updating -----------------------

const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });

export function localTime(iso) {
  if (!iso) return "";
  return fullFmt.format(new Date(iso));
}

export function relative(iso, now = Date.now()) {
  if (!iso) return "";
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(secs);
  if (abs < 45) return secs <= 0 ? "just now" : "in a few seconds";
  if (abs < 3600) return rtf.format(Math.round(secs / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(secs / 3600), "hour");
  if (abs < 86400 * 45) return rtf.format(Math.round(secs / 86400), "day");
  return localTime(iso);
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

// <time> showing "12 min ago", with the full local time as its tooltip.
export function timeEl(iso) {
  if (!iso) return h("span", { class: "muted" }, "–");
  return h("time", { datetime: iso, title: localTime(iso), dataset: { rel: "1" } }, relative(iso));
}

// "open for": counts up live from a start time (until `end` if given).
export function sinceEl(startIso, endIso) {
  const el = h("span", { dataset: { since: startIso, until: endIso || "" } });
  el.textContent = duration((new Date(endIso || Date.now()) - new Date(startIso)) / 1000);
  return el;
}

export function tickTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll("time[data-rel]")) {
    el.textContent = relative(el.getAttribute("datetime"), now);
  }
  for (const el of root.querySelectorAll("[data-since]")) {
    const end = el.dataset.until ? new Date(el.dataset.until).getTime() : now;
    el.textContent = duration((end - new Date(el.dataset.since).getTime()) / 1000);
  }
}

// -- small helpers --------------------------------------------------------------------------

export function debounce(fn, ms = 150) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

export function field(label, control, cls) {
  return h("label", { class: cls }, label, control);
}

export function select(name, options, value) {
  const el = h("select", { name });
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    el.append(h("option", { value: v, selected: v === value }, text));
  }
  return el;
}

export function table(headers, rows, cls = "stack") {
  return h(
    "div",
    { class: "scroll-x" },
    h(
      "table",
      { class: cls },
      h("thead", null, h("tr", null, headers.map((x) => h("th", { scope: "col" }, x)))),
      h(
        "tbody",
        null,
        rows.map((cells) => h("tr", null, cells.map((c, i) => h("td", { "data-label": headers[i] }, c)))),
      ),
    ),
  );
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}
