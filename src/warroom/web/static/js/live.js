// One EventSource on /api/stream feeds every page. On a drop the browser reconnects with
// Last-Event-ID by itself; if it gives up (CLOSED) we open a new one with ?since=<last id>.
// Either way the banner says "reconnecting…" and pages re-fetch once the stream is back.

// SSE `event:` names must be listened to one by one; these are the log's kinds.
const KINDS = [
  "message.published",
  "channel.created", "channel.updated", "channel.retention_applied",
  "incident.triggered", "incident.acknowledged", "incident.unacknowledged", "incident.investigating",
  "incident.mitigating", "incident.resolved", "incident.reopened", "incident.note_added",
  "incident.assigned", "incident.severity_changed", "incident.merged", "incident.escalated",
  "incident.paged", "incident.alerts_changed", "incident.analysis", "incident.postmortem",
  "alert.received", "alert.resolved",
  "delivery.queued", "delivery.sent", "delivery.failed", "delivery.gave_up", "delivery.cancelled",
  "silence.created", "silence.expired",
  "page.sent", "analysis.updated",
];

const handlers = new Set();
const reconnectHandlers = new Set();
let source = null;
let lastId = null;
let broken = false;
let retryTimer = null;
let banner = null;
export const liveState = { connected: false, events: 0 };

export function onEvent(fn) {
  handlers.add(fn);
  return () => handlers.delete(fn);
}

export function onReconnect(fn) {
  reconnectHandlers.add(fn);
  return () => reconnectHandlers.delete(fn);
}

function showBanner(text) {
  if (!banner) return;
  banner.textContent = text;
  banner.hidden = !text;
  document.body.dataset.live = text ? "reconnecting" : "live";
}

function dispatch(ev) {
  let data;
  try {
    data = JSON.parse(ev.data);
  } catch {
    return;
  }
  if (ev.lastEventId) lastId = ev.lastEventId;
  liveState.events += 1;
  for (const fn of handlers) {
    try {
      fn(data);
    } catch (err) {
      console.error("live handler failed", err);
    }
  }
}

function open() {
  const url = lastId ? `/api/stream?since=${encodeURIComponent(lastId)}` : "/api/stream";
  source = new EventSource(url, { withCredentials: true });
  for (const k of KINDS) source.addEventListener(k, dispatch);
  source.onmessage = dispatch; // unnamed events, should a kind ever come without a name
  source.onopen = () => {
    liveState.connected = true;
    showBanner("");
    if (broken) {
      broken = false;
      for (const fn of reconnectHandlers) fn();
    }
  };
  source.onerror = () => {
    liveState.connected = false;
    broken = true;
    showBanner("Live updates lost — reconnecting…");
    if (source.readyState === EventSource.CLOSED) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(open, 2000);
    }
  };
}

export function startLive(bannerEl) {
  banner = bannerEl;
  if (!source) open();
}

export function stopLive() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  lastId = null;
  broken = false;
  showBanner("");
}
