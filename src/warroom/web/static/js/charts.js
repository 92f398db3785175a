// Inline SVG charts, generated here: bars and a two-series line. Colours come from CSS classes.

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

// Horizontal bars: [{label, value, cls}] — readable on a phone, labels never overlap.
export function barChart(items, { title = "", unit = "", width: w = 480 } = {}) {
  const rowH = 28;
  const labelW = 120;
  const width = Math.max(300, Math.min(760, w));
  const height = Math.max(1, items.length) * rowH + 8;
  const max = Math.max(1, ...items.map((i) => i.value));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  items.forEach((it, i) => {
    const y = i * rowH + 4;
    const w = Math.max(2, ((width - labelW - 50) * it.value) / max);
    svg.append(s("text", { x: labelW - 6, y: y + rowH / 2 + 4, "text-anchor": "end", class: "label" }, trunc(it.label, 18)));
    svg.append(s("rect", { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 3, class: `bar ${it.cls || ""}` }));
    svg.append(s("text", { x: labelW + w + 6, y: y + rowH / 2 + 4, class: "value" }, `${it.value}${unit}`));
  });
  if (!items.length) svg.append(s("text", { x: 10, y: 20, class: "label" }, "no data"));
  return svg;
}

// Two lines over the same x labels (e.g. MTTA and MTTR per week), values in minutes.
export function lineChart(labels, seriesA, seriesR, { title = "", width: w = 760 } = {}) {
  const width = Math.max(300, Math.min(1000, w));
  const height = 240;
  const pad = { l: 44, r: 24, t: 12, b: 36 };
  const vals = [...seriesA, ...seriesR].filter((v) => v !== null);
  const max = Math.max(1, ...vals);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  const x = (i) => pad.l + (labels.length <= 1 ? (width - pad.l - pad.r) / 2 : (i * (width - pad.l - pad.r)) / (labels.length - 1));
  const y = (v) => height - pad.b - (v / max) * (height - pad.t - pad.b);
  svg.append(s("line", { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, class: "axis" }));
  svg.append(s("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: height - pad.b, class: "axis" }));
  for (const frac of [0, 0.5, 1]) {
    svg.append(s("text", { x: pad.l - 4, y: y(max * frac) + 4, "text-anchor": "end", class: "label" }, fmtMin(max * frac)));
  }
  const step = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(width / 110))));
  labels.forEach((l, i) => {
    if (i % step === 0 || i === labels.length - 1) {
      const anchor = i === labels.length - 1 && labels.length > 1 ? "end" : "middle";
      svg.append(s("text", { x: x(i), y: height - pad.b + 16, "text-anchor": anchor, class: "label" }, l));
    }
  });
  for (const [series, cls] of [[seriesA, "a"], [seriesR, "r"]]) {
    const pts = series.map((v, i) => (v === null ? null : [x(i), y(v)])).filter(Boolean);
    if (pts.length > 1) svg.append(s("polyline", { points: pts.map((p) => p.join(",")).join(" "), class: `line-${cls}` }));
    series.forEach((v, i) => {
      if (v === null) return;
      const dot = s("circle", { cx: x(i), cy: y(v), r: 4, class: `dot-${cls}` });
      dot.append(s("title", {}, `${labels[i]}: ${fmtMin(v)}`));
      svg.append(dot);
    });
  }
  if (!vals.length) svg.append(s("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "label" }, "no data"));
  return svg;
}

export function fmtMin(minutes) {
  if (minutes < 1) return `${Math.round(minutes * 60)}s`;
  if (minutes < 120) return `${Math.round(minutes)}m`;
  return `${(minutes / 60).toFixed(1)}h`;
}

function trunc(t, n) {
  const str = String(t);
  return str.length > n ? `${str.slice(0, n - 1)}…` : str;
}
