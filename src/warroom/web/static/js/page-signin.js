// Sign in with a token; the server answers with an HttpOnly session cookie.

import { signIn } from "./api.js";
import { field, h, replace } from "./dom.js";

export function render(main, { message, done }) {
  const error = h("p", { class: "notice", role: "alert", hidden: true });
  const input = h("input", { name: "token", type: "password", autocomplete: "off", required: true, placeholder: "wr_…", id: "token" });
  const submit = h("button", { type: "submit", class: "big primary" }, "Sign in");
  const form = h(
    "form",
    { class: "panel signin", id: "signin" },
    h("h1", null, "Sign in to warroom"),
    message ? h("p", { class: "muted" }, message) : null,
    field("Your API token", input),
    h("p", { class: "small muted" }, "Ask an admin for a token (warroom token create). It is exchanged for a session cookie and is not stored by the browser."),
    error,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await signIn(input.value.trim());
      input.value = "";
      done();
    } catch (err) {
      error.textContent = err.message || "Sign in failed";
      error.hidden = false;
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
  input.focus();
}
