// Settings for admins: integrations with their webhook URLs, tokens, channels and ACLs.

import { api, enc, session } from "./api.js";
import { empty, field, h, pill, replace, select, table, timeEl } from "./dom.js";
import { busy, onSubmit, toast } from "./ui.js";

const SOURCES = ["alertmanager", "grafana", "pagerduty", "datadog", "opsgenie", "generic"];

function shownOnce(title, lines) {
  return h(
    "div",
    { class: "notice", role: "status" },
    h("b", null, title),
    h("p", { class: "small" }, "Shown once: copy it now."),
    lines.map(([label, value]) => h("div", null, h("span", { class: "small" }, label), h("code", { class: "secret" }, value))),
  );
}

function actionButton(text, cls, fn) {
  const b = h("button", { type: "button", class: `small ${cls}` }, text);
  b.addEventListener("click", () => busy(b, fn));
  return b;
}

function aclText(acl) {
  return (acl || []).map((a) => `${a.subject} ${a.permission}`).join("\n");
}

function parseAcl(text) {
  return String(text || "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [subject, permission = "read"] = l.split(/\s+/);
      return { subject, permission };
    });
}

export async function render(main) {
  if (!session.principal || !session.principal.admin) {
    replace(main, h("h1", null, "Admin"), h("p", { class: "notice" }, "These settings need an admin token."));
    return null;
  }
  const integBox = h("div", { id: "integrations" });
  const integNew = h("div");
  const tokenBox = h("div", { id: "tokens" });
  const tokenNew = h("div");
  const chanBox = h("div", { id: "channels-admin" });

  // -- integrations ----------------------------------------------------------------------
  const integForm = onSubmit(
    h(
      "form",
      { class: "form", "aria-label": "New integration" },
      field("Name", h("input", { name: "name", required: true, placeholder: "prod" })),
      field("Source", select("source", SOURCES, "alertmanager")),
      field("Channel", h("input", { name: "channel", value: "incidents" })),
      h("button", { type: "submit", class: "primary" }, "Create integration"),
    ),
    async (fd, f) => {
      const out = await api("/api/integrations", { method: "POST", body: { name: fd.get("name"), source: fd.get("source"), channel: fd.get("channel") || "incidents" } });
      replace(integNew, shownOnce(`Integration ${out.id}`, [["Secret", out.secret], ["Webhook URL with token", out.webhook_url_with_token]]));
      f.reset();
      await loadIntegrations();
    },
  );

  async function loadIntegrations() {
    const { integrations } = await api("/api/integrations");
    if (!integrations.length) return replace(integBox, empty("No integrations yet."));
    replace(
      integBox,
      table(
        ["Name", "Source", "Channel", "Webhook URL", "Secret", ""],
        integrations.map((i) => [
          h("b", null, i.id),
          i.source,
          `#${i.channel}`,
          h("code", { class: "secret" }, i.webhook_url),
          h("span", { class: "mono" }, i.secret_hint || "–"),
          h(
            "div",
            { class: "row" },
            actionButton("Rotate secret", "", async () => {
              const out = await api(`/api/integrations/${enc(i.id)}/rotate-secret`, { method: "POST", body: {} });
              replace(integNew, shownOnce(`New secret for ${i.id}`, [["Secret", out.secret], ["Webhook URL with token", out.webhook_url_with_token || ""]]));
            }),
            actionButton("Delete", "danger", async () => {
              await api(`/api/integrations/${enc(i.id)}`, { method: "DELETE" });
              toast(`Integration ${i.id} deleted`);
              await loadIntegrations();
            }),
          ),
        ]),
      ),
    );
  }

  // -- tokens ---------------------------------------------------------------------------------
  const tokenForm = onSubmit(
    h(
      "form",
      { class: "form", "aria-label": "New token" },
      field("Principal id", h("input", { name: "principal", required: true, placeholder: "tom" })),
      field("Display name", h("input", { name: "principal_name", placeholder: "Tom Rodriguez" })),
      field("Token name", h("input", { name: "name", value: "dashboard" })),
      field("Expires", h("input", { name: "expires_at", type: "date" })),
      h(
        "fieldset",
        { class: "wide row" },
        h("legend", null, "Scopes"),
        ["read", "publish", "admin"].map((s) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "scopes", value: s, checked: s !== "admin" }), s)),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "admin" }), "make this principal an admin"),
      ),
      h("button", { type: "submit", class: "primary" }, "Create token"),
    ),
    async (fd, f) => {
      const body = { principal: fd.get("principal"), name: fd.get("name") || "token", scopes: fd.getAll("scopes"), admin: fd.get("admin") === "on" };
      if (fd.get("principal_name")) body.principal_name = fd.get("principal_name");
      if (fd.get("expires_at")) body.expires_at = new Date(`${fd.get("expires_at")}T23:59:59`).toISOString();
      const out = await api("/api/tokens", { method: "POST", body });
      replace(tokenNew, shownOnce(`Token ${out.id} for ${out.principal}`, [["Token", out.token]]));
      f.reset();
      await loadTokens();
    },
  );

  async function loadTokens() {
    const { tokens } = await api("/api/tokens");
    if (!tokens.length) return replace(tokenBox, empty("No tokens."));
    replace(
      tokenBox,
      table(
        ["Id", "Principal", "Name", "Scopes", "State", "Expires", "Last used", ""],
        tokens.map((t) => [
          h("span", { class: "mono" }, t.id),
          t.principal || t.principal_id,
          t.name,
          (t.scopes || []).join(", "),
          pill(t.state || "active"),
          timeEl(t.expires_at),
          timeEl(t.last_used_at),
          (t.state || "active") === "active"
            ? actionButton("Revoke", "danger", async () => {
                await api(`/api/tokens/${enc(t.id)}`, { method: "DELETE" });
                toast(`Token ${t.id} revoked`);
                await loadTokens();
              })
            : null,
        ]),
      ),
    );
  }

  // -- channels and ACLs -------------------------------------------------------------------
  const chanForm = onSubmit(
    h(
      "form",
      { class: "form", "aria-label": "New channel" },
      field("Id", h("input", { name: "id", required: true, placeholder: "security-incidents", pattern: "[a-z0-9][a-z0-9-]*" })),
      field("Visibility", select("visibility", ["public", "private", "confidential"], "public")),
      field("Description", h("input", { name: "description" })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "incident_enabled" }), "incident channel"),
      field("ACL, one per line: subject permission", h("textarea", { name: "acl", rows: 2, placeholder: "group:sre publish\nprincipal:tom read" }), "wide"),
      h("button", { type: "submit", class: "primary" }, "Create channel"),
    ),
    async (fd, f) => {
      const body = { id: fd.get("id"), visibility: fd.get("visibility"), description: fd.get("description") || "", incident_enabled: fd.get("incident_enabled") === "on" };
      const acl = parseAcl(fd.get("acl"));
      if (acl.length) body.acl = acl;
      await api("/api/channels", { method: "POST", body });
      toast(`Channel #${body.id} created`);
      f.reset();
      await loadChannels();
    },
  );

  async function loadChannels() {
    const { channels } = await api("/api/channels?include_archived=true");
    const full = await Promise.all(channels.map((c) => api(`/api/channels/${enc(c.id)}`)));
    replace(
      chanBox,
      full.length
        ? h(
            "ul",
            { class: "list" },
            full.map((c) => {
              const vis = select("visibility", ["public", "private", "confidential"], c.visibility);
              const acl = h("textarea", { rows: 3, "aria-label": `ACL of ${c.id}` });
              acl.value = aclText(c.acl);
              const save = actionButton("Save", "primary", async () => {
                await api(`/api/channels/${enc(c.id)}`, { method: "PATCH", body: { visibility: vis.value, acl: parseAcl(acl.value) } });
                toast(`#${c.id} saved`);
                await loadChannels();
              });
              return h(
                "li",
                { class: "card", dataset: { channel: c.id } },
                h("div", { class: "row" }, h("b", null, `#${c.id}`), pill(c.visibility), c.archived ? pill("archived") : null, c.incident_enabled ? pill("incidents") : null),
                h("div", { class: "form" }, field("Visibility", vis), field("ACL (subject permission per line; * for everyone)", acl, "wide"), save),
              );
            }),
          )
        : empty("No channels."),
    );
  }

  replace(
    main,
    h("h1", null, "Admin settings"),
    h("section", { class: "panel" }, h("h2", null, "Integrations"), integNew, integBox, h("h3", null, "New integration"), integForm),
    h("section", { class: "panel" }, h("h2", null, "Tokens"), tokenNew, tokenBox, h("h3", null, "New token"), tokenForm),
    h("section", { class: "panel" }, h("h2", null, "Channels and access"), chanBox, h("h3", null, "New channel"), chanForm),
  );
  await Promise.all([loadIntegrations(), loadTokens(), loadChannels()]);
  return {
    onEvent(ev) {
      if (ev.kind.startsWith("channel.created") || ev.kind.startsWith("channel.updated")) loadChannels().catch(() => {});
    },
    refresh: () => Promise.all([loadIntegrations(), loadTokens(), loadChannels()]).catch(() => {}),
  };
}
