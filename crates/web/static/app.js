// Steward workspace: live refresh and presence. Plain DOM; every page also works without it.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var me = Number(document.body.dataset.user || 0);
  var conv = document.querySelector('[data-live="conversation"]');
  var inbox = document.querySelector('[data-live="inbox"]');
  var status = document.getElementById("live-status");
  var convId = conv ? Number(conv.dataset.conversation) : 0;
  var timers = {};

  function later(key, fn, ms) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(fn, ms);
  }

  function refresh(url, target) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { target.innerHTML = html; })
      .catch(function () { /* the next event or a reload will catch up */ });
  }

  function refreshTimeline() {
    var t = document.getElementById("timeline");
    if (t) refresh("/conversations/" + convId + "/timeline", t);
  }

  function refreshInbox() {
    var list = document.getElementById("list");
    if (!list) return;
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "list");
    refresh(url.pathname + url.search, list);
  }

  function showPresence(viewers) {
    var p = document.getElementById("presence");
    if (!p) return;
    var others = viewers.filter(function (v) { return v.user_id !== me; });
    if (!others.length) { p.textContent = ""; return; }
    p.textContent = others.map(function (v) {
      return v.name + (v.state === "replying" ? " is replying" : " is viewing");
    }).join(" · ");
    p.className = others.some(function (v) { return v.state === "replying"; }) ? "presence replying" : "presence";
  }

  if (window.EventSource && (conv || inbox)) {
    var es = new EventSource("/live");
    es.addEventListener("conversation", function (e) {
      var ev = JSON.parse(e.data);
      if (conv && ev.conversation_id === convId) later("timeline", refreshTimeline, 100);
      if (inbox) later("inbox", refreshInbox, 300);
    });
    es.addEventListener("presence", function (e) {
      var ev = JSON.parse(e.data);
      if (conv && ev.conversation_id === convId) showPresence(ev.detail || []);
    });
    es.addEventListener("resync", function () {
      if (conv) refreshTimeline();
      if (inbox) refreshInbox();
    });
    es.onopen = function () { if (status) status.textContent = ""; };
    es.onerror = function () { if (status) status.textContent = "Reconnecting…"; };
  }

  if (conv) {
    var state = "viewing";
    var report = function (s) {
      state = s;
      var body = new URLSearchParams({ state: s, _csrf: csrf });
      return fetch("/conversations/" + convId + "/presence", {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": csrf }, keepalive: true
      }).catch(function () {});
    };
    report("viewing");
    setInterval(function () { report(state); }, 10000);
    var body = document.getElementById("body");
    if (body) {
      body.addEventListener("input", function () {
        if (state !== "replying") report("replying");
        later("idle", function () { report("viewing"); }, 8000);
      });
    }
    window.addEventListener("pagehide", function () { report("left"); });
  }
})();
