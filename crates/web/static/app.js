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

  var isChat = conv && conv.dataset.channel === "chat";
  var signal = document.getElementById("chat-signal");
  function say(text, ms) {
    if (!signal) return;
    signal.textContent = text;
    if (ms) later("signal", function () { signal.textContent = ""; }, ms);
  }
  function notice(ev) {
    var box = document.createElement("div");
    box.className = "toast";
    box.setAttribute("role", "alert");
    var a = document.createElement("a");
    a.href = "/conversations/" + ev.conversation_id;
    a.textContent = "New chat: " + ((ev.detail && ev.detail.text) || "").slice(0, 80);
    box.appendChild(a);
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 15000);
    if (window.Notification && Notification.permission === "granted" && document.hidden) {
      new Notification("New chat", { body: a.textContent });
    }
  }
  if (window.Notification && Notification.permission === "default") {
    document.addEventListener("click", function ask() {
      document.removeEventListener("click", ask);
      Notification.requestPermission();
    });
  }

  if (window.EventSource && me) {
    var es = new EventSource("/live");
    es.addEventListener("conversation", function (e) {
      var ev = JSON.parse(e.data);
      if (conv && ev.conversation_id === convId) {
        later("timeline", refreshTimeline, 100);
        // Looking at the chat: what the visitor wrote counts as seen.
        if (isChat && !document.hidden) later("seen", function () { report(state); }, 300);
      }
      if (inbox) later("inbox", refreshInbox, 300);
    });
    es.addEventListener("typing", function (e) {
      var ev = JSON.parse(e.data);
      if (conv && ev.conversation_id === convId) say(ev.detail.on ? "The customer is typing…" : "", 6000);
    });
    es.addEventListener("chat", function (e) {
      var ev = JSON.parse(e.data);
      if (ev.kind === "started") { notice(ev); if (inbox) later("inbox", refreshInbox, 300); }
      if (!conv || ev.conversation_id !== convId) return;
      if (ev.kind === "visitor_read") say("Seen by the customer", 0);
      if (ev.kind === "handoff") say("The customer asked for a person", 0);
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

  var state = "viewing";
  var report = function () {};
  if (conv) {
    report = function (s) {
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
        // Chats show "is typing" to the visitor, so they go idle sooner.
        later("idle", function () { report("viewing"); }, isChat ? 3000 : 8000);
      });
    }
    window.addEventListener("pagehide", function () { report("left"); });
  }

  // "Insert link" / "Insert text" on a suggested article: into the reply, at the cursor.
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.insert") : null;
    var reply = document.getElementById("body");
    if (!b || !reply) return;
    var add = b.getAttribute("data-insert") || "";
    var at = reply.selectionStart || reply.value.length;
    var before = reply.value.slice(0, at), after = reply.value.slice(reply.selectionEnd || at);
    var gap = before && !/\s$/.test(before) ? "\n" : "";
    reply.value = before + gap + add + after;
    reply.focus();
    var end = (before + gap + add).length;
    reply.setSelectionRange(end, end);
    reply.dispatchEvent(new Event("input"));
  });

  // The article editor's upload: the file goes up at once and its Markdown lands in the text.
  var upload = document.getElementById("kb-upload");
  var kbBody = document.getElementById("kb-body");
  if (upload && kbBody) {
    upload.addEventListener("submit", function (e) {
      e.preventDefault();
      var status = document.getElementById("kb-upload-status");
      status.textContent = "Uploading…";
      fetch("/kb/files", { method: "POST", body: new FormData(upload), credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (j) {
          var at = kbBody.selectionStart || kbBody.value.length;
          kbBody.value = kbBody.value.slice(0, at) + "\n" + j.markdown + "\n" + kbBody.value.slice(at);
          status.textContent = "Added " + j.url;
          upload.reset();
        })
        .catch(function () { status.textContent = "The upload failed; check the file's size and try again."; });
    });
  }
})();
