// The dashboard's entry point: session, hash router, one live stream for every page.

import { api, loadSession, onSignedOut, session, signOut } from "./api.js";
import { h, replace, tickTimes } from "./dom.js";
import { onEvent, onReconnect, startLive, stopLive } from "./live.js";
import { toast } from "./ui.js";
import * as incidents from "./page-incidents.js";
import * as incident from "./page-incident.js";
import * as channels from "./page-channels.js";
import * as channel from "./page-channel.js";
import * as search from "./page-search.js";
import * as silences from "./page-silences.js";
import * as oncall from "./page-oncall.js";
import * as stats from "./page-stats.js";
import * as admin from "./page-admin.js";
import * as signin from "./page-signin.js";

const ROUTES = {
  "": ["incidents", incidents],
  incident: ["incidents", incident],
  channels: ["channels", channels],
  channel: ["channels", channel],
  search: ["search", search],
  silences: ["silences", silences],
  oncall: ["oncall", oncall],
  stats: ["stats", stats],
  admin: ["admin", admin],
};

const main = document.getElementById("main");
let current = null; // { onEvent, refresh, destroy }
let booted = false;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || "", arg: parts[1] || null, params: new URLSearchParams(query) };
}

async function route() {
  if (!session.principal) return;
  const { name, arg, params } = parseHash();
  const [navKey, page] = ROUTES[name] || ROUTES[""];
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === navKey) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (current && current.destroy) current.destroy();
  current = null;
  replace(main, h("p", { class: "muted" }, "Loading…"));
  try {
    current = (await page.render(main, { arg, params })) || null;
  } catch (err) {
    replace(main, h("h1", null, "Something went wrong"), h("p", { class: "notice" }, err.message || String(err)));
  }
  document.title = `${main.querySelector("h1")?.textContent || "warroom"} · warroom`;
}

function showSignedIn() {
  const p = session.principal;
  document.getElementById("nav").hidden = false;
  document.getElementById("nav-admin").hidden = !p.admin;
  document.getElementById("who").textContent = session.mode === "local" ? `${p.name} (local mode)` : p.name;
  document.getElementById("signout").hidden = session.mode !== "session";
  startLive(document.getElementById("banner"));
}

function showSignIn(message) {
  stopLive();
  if (current && current.destroy) current.destroy();
  current = null;
  Object.assign(session, { mode: null, principal: null, csrf: "" });
  document.getElementById("nav").hidden = true;
  document.getElementById("who").textContent = "";
  document.getElementById("signout").hidden = true;
  signin.render(main, {
    message,
    done: () => {
      showSignedIn();
      route();
    },
  });
}

async function boot() {
  onSignedOut(() => showSignIn("Your session ended. Sign in again."));
  document.getElementById("signout").addEventListener("click", async () => {
    try {
      await signOut();
    } catch (err) {
      toast(err.message, true);
    }
    showSignIn("Signed out.");
  });
  onEvent((ev) => current && current.onEvent && current.onEvent(ev));
  onReconnect(() => current && current.refresh && current.refresh());
  window.addEventListener("hashchange", route);
  setInterval(() => tickTimes(main), 15000);
  if (await loadSession()) {
    showSignedIn();
    await route();
  } else {
    showSignIn();
  }
  booted = true;
  document.body.dataset.ready = "1";
}

export { api, booted };

boot().catch((err) => {
  replace(main, h("p", { class: "notice" }, `The dashboard could not start: ${err.message}`));
});
