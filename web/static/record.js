// Recording from the status page: each manual KPI's form posts to
// /api/v1/observations, as curl or `collector record` would. The token is
// entered once and kept in sessionStorage (this tab's session only, never a
// cookie, never in a URL), and sent in X-KPI-Token, which works beside basic
// auth. Every entry is checked here first, and again by the API.
"use strict";
(function () {
  const KEY = "kpi-collector-record-token";
  const forms = document.querySelectorAll("form.record");
  if (forms.length === 0) {
    return;
  }
  const box = document.getElementById("token-box");
  const input = document.getElementById("token");
  const state = document.getElementById("token-state");
  box.hidden = false;
  const show = () => {
    state.textContent = sessionStorage.getItem(KEY) ? "set for this session" : "not set";
  };
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    input.value = "";
    show();
  });
  show();

  const pad = (n) => String(n).padStart(2, "0");
  const today = () => {
    const d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  };
  // A date's reading is the day's, at noon in this browser's zone, as RFC 3339.
  const noonOf = (date) => {
    const d = new Date(date + "T12:00:00");
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? "+" : "-";
    return date + "T12:00:00" + sign + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  };

  forms.forEach((form) => {
    const msg = form.querySelector(".msg");
    form.elements.date.max = today();
    const say = (text, bad) => {
      msg.textContent = text;
      msg.classList.toggle("bad", bad);
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = form.elements.number.value.trim();
      if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) {
        say("give a number, 0 or more", true);
        return;
      }
      const body = { channel: form.dataset.channel, account: form.dataset.account, metric: form.dataset.metric };
      body[form.elements.op.value === "set" ? "value" : "add"] = Number(text);
      const date = form.elements.date.value;
      if (date > today()) {
        say("the date is in the future", true);
        return;
      }
      if (date && date !== today()) {
        body.time = noonOf(date);
      }
      const token = sessionStorage.getItem(KEY);
      if (!token) {
        say("enter the recording token first", true);
        return;
      }
      say("recording…", false);
      try {
        const resp = await fetch("api/v1/observations", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-KPI-Token": token },
          body: JSON.stringify(body),
        });
        if (!resp.ok) {
          const answer = await resp.json().catch(() => ({}));
          say(answer.error || "refused: HTTP " + resp.status, true);
          return;
        }
        location.reload();
      } catch (err) {
        say("not sent: " + err.message, true);
      }
    });
  });
})();
