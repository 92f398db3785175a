// A small, safe markdown renderer. Everything is HTML-escaped FIRST; only then is a tiny
// subset turned into tags: headings, bold, italic, inline and fenced code, lists, and links
// whose target is http(s). No raw HTML, no images, no attributes from the input except an
// escaped http(s) href. The output is the only HTML string the dashboard ever assigns.

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

// Placeholders for code spans use private-use characters, stripped from the input first.
const P_OPEN = "\uE000";
const P_CLOSE = "\uE001";

function emphasis(s) {
  s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
  s = s.replace(/__([^_]+)__/g, "<strong>$1</strong>");
  s = s.replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, "$1<em>$2</em>");
  return s.replace(/(^|[^_\w])_([^_\s][^_]*)_(?!\w)/g, "$1<em>$2</em>");
}

// Code spans and links are set aside as placeholders first, so emphasis never reaches
// inside them (nor inside the tags they become).
function inline(escaped) {
  const held = [];
  const hold = (html) => {
    held.push(html);
    return `${P_OPEN}${held.length - 1}${P_CLOSE}`;
  };
  let s = escaped.replace(/`([^`]+)`/g, (_, code) => hold(`<code>${code}</code>`));
  // [text](http(s)://…): the URL is already escaped, so it cannot leave the attribute.
  s = s.replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, (_, text, url) =>
    hold(`<a href="${url}" rel="noopener noreferrer nofollow" target="_blank">${emphasis(text)}</a>`),
  );
  s = emphasis(s);
  const restore = new RegExp(`${P_OPEN}(\\d+)${P_CLOSE}`, "g");
  // Link text may hold code placeholders: restore twice.
  return s.replace(restore, (_, i) => held[Number(i)]).replace(restore, (_, i) => held[Number(i)]);
}

export function renderMarkdown(src) {
  const text = String(src ?? "").replace(/[\uE000\uE001]/g, "").replace(/\r\n?/g, "\n");
  const lines = text.split("\n");
  const out = [];
  let para = [];
  let list = null; // { tag, items }

  const flushPara = () => {
    if (para.length) out.push(`<p>${para.map((l) => inline(escapeHtml(l))).join("<br>")}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${i}</li>`).join("")}</${list.tag}>`);
    list = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      flushPara();
      flushList();
      const code = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i++]);
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flushPara();
      flushList();
      const n = heading[1].length;
      out.push(`<h${n}>${inline(escapeHtml(heading[2]))}</h${n}>`);
      continue;
    }
    const ul = /^\s*[-*+]\s+(.*)$/.exec(line);
    const ol = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (ul || ol) {
      flushPara();
      const tag = ul ? "ul" : "ol";
      if (!list || list.tag !== tag) {
        flushList();
        list = { tag, items: [] };
      }
      list.items.push(inline(escapeHtml((ul || ol)[1])));
      continue;
    }
    if (!line.trim()) {
      flushPara();
      flushList();
      continue;
    }
    flushList();
    para.push(line);
  }
  flushPara();
  flushList();
  return out.join("\n");
}

// A <div class="md"> holding the rendered (sanitized) markdown.
export function markdownEl(src) {
  const div = document.createElement("div");
  div.className = "md";
  div.innerHTML = renderMarkdown(src);
  return div;
}
