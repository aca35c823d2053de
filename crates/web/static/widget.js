// Steward chat widget. Embed with:
//   <script src="https://HOST/widget.js" data-inbox="KEY" async></script>
// Hand-written, no dependencies. Speaks the protocol in docs/chat-protocol.md over one
// WebSocket: resumes after a dropped connection with the last sequence number shown, and
// resends unacknowledged messages under their own numbers, so nothing is lost or shown twice.
// Everything people type is shown with textContent, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-inbox]");
  if (!script || window.StewardChat) return;
  var KEY = script.getAttribute("data-inbox") || "";
  var base = new URL(script.src, location.href);
  var WS = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/chat/ws";
  var HTTP = base.origin;
  var store = window.localStorage;
  var P = "steward:" + KEY + ":";

  function load(k, d) { try { var v = store.getItem(P + k); return v === null ? d : JSON.parse(v); } catch (e) { return d; } }
  function save(k, v) { try { store.setItem(P + k, JSON.stringify(v)); } catch (e) { /* private mode */ } }

  var visitor = load("visitor", null);
  var cseq = load("cseq", 0);
  var outbox = load("outbox", []); // [{cseq, text, profile}]
  var ws = null, ready = false, lastSeq = 0, fresh = true, retry = 0, chat = null, info = null;
  var known = false, seen = {}, pending = {}, agentRead = 0, lastRead = 0, typingTimer = null, typingSent = 0;

  // ---- DOM (in a shadow root, so the host page's styles don't leak in) ----
  var host = document.createElement("div");
  host.id = "steward-chat";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var css = ":host{all:initial}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}" +
    ".launch{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;color:#fff;cursor:pointer;display:flex;align-items:center;justify-content:center;box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483000;font-size:24px}" +
    ".launch:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}" +
    ".panel{position:fixed;right:20px;bottom:88px;width:360px;max-width:calc(100vw - 24px);height:520px;max-height:calc(100vh - 110px);background:#fff;color:#1b1b1b;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow-y:auto;z-index:2147483000}" +
    ".panel[hidden]{display:none}header{flex:none;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}header h2{flex:1;margin:0;font-size:16px;font-weight:600}" +
    "header .fb{color:#fff;font-size:13px}header button{background:transparent;border:0;color:#fff;cursor:pointer;font-size:13px;padding:4px 6px;border-radius:4px}" +
    ".note{padding:6px 14px;background:#f3f4f6;font-size:13px;color:#333}.note:empty{display:none}" +
    ".log{flex:1 0 140px;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;margin:0;list-style:none}" +
    ".helppane{padding:8px 12px;border-bottom:1px solid #eee}.helppane input{margin-bottom:6px}" +
    ".tips{border:1px solid #e5d58a;background:#fffbea;border-radius:8px;padding:6px 8px;margin-bottom:6px;font-size:13px}.tips ul{margin:4px 0 0;padding-left:16px}.tips li{margin-bottom:4px}.tips button{border:0;background:none;color:#1f5fbf;cursor:pointer;padding:0 4px;font-size:12px;text-decoration:underline}" +
    ".m{max-width:80%;padding:8px 10px;border-radius:10px;background:#f0f0f0;white-space:pre-wrap;word-wrap:break-word}" +
    ".m.me{align-self:flex-end;color:#fff}.m .who{display:block;font-size:12px;font-weight:600;margin-bottom:2px}" +
    ".m.pending{opacity:.6}.badge{display:inline-block;font-size:11px;padding:0 5px;border-radius:4px;background:#6b4fbb;color:#fff;margin-left:4px}" +
    ".m a{color:inherit}.m img{max-width:100%;border-radius:6px;display:block;margin-top:4px}.seen{align-self:flex-end;font-size:11px;color:#666}" +
    ".typing{padding:0 14px;font-size:12px;color:#555;min-height:18px}" +
    "form{flex:none;border-top:1px solid #e5e5e5;padding:8px;display:flex;flex-direction:column;gap:6px}" +
    ".pre{display:grid;grid-template-columns:auto 1fr;gap:4px 8px;align-items:center}.pre[hidden]{display:none}label{font-size:12px;color:#333}" +
    "input,select,textarea{width:100%;border:1px solid #bbb;border-radius:6px;padding:6px 8px;background:#fff;color:#1b1b1b}" +
    "textarea{resize:none;height:56px}.row{display:flex;gap:6px;align-items:center}.row .grow{flex:1}" +
    ".send{border:0;color:#fff;border-radius:6px;padding:8px 14px;cursor:pointer}.file{border:1px solid #bbb;background:#fff;color:#444;border-radius:6px;padding:4px 8px;cursor:pointer;display:flex}" +
    ".err{color:#b00020;font-size:12px}.err:empty{display:none}.human{border:1px solid #6b4fbb;color:#6b4fbb;background:#fff;border-radius:6px;padding:4px 8px;cursor:pointer;align-self:flex-start}" +
    ".rate{align-self:stretch;border:1px solid #ddd;border-radius:10px;padding:8px;display:flex;flex-direction:column;gap:6px}.rate p{margin:0}" +
    ".choices{display:flex;flex-wrap:wrap;gap:4px}.choices button{border:1px solid #bbb;background:#fff;border-radius:6px;padding:4px 8px;cursor:pointer}.choices button[aria-pressed=true]{background:#e8f0fe;border-color:#1f6feb}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100vh;max-height:100vh;border-radius:0}}";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  // Icons drawn inline (no emoji font needed).
  function icon(d) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), path = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "24"); svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    path.setAttribute("d", d); path.setAttribute("fill", "none"); path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2"); path.setAttribute("stroke-linecap", "round"); path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
    return svg;
  }
  var style = el("style", {}, css);
  var launch = el("button", { "class": "launch", "aria-expanded": "false", "aria-controls": "sc-panel", "aria-label": "Open chat" });
  launch.appendChild(icon("M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"));
  var panel = el("section", { id: "sc-panel", "class": "panel", role: "dialog", "aria-label": "Chat", hidden: "" });
  var head = el("header");
  var title = el("h2", {}, "Chat");
  var endBtn = el("button", { type: "button" }, "End chat");
  var fbLink = el("a", { href: HTTP + "/help/feedback?source=widget", target: "_blank", rel: "noopener", "class": "fb" }, "Feedback");
  var helpBtn = el("button", { type: "button", "aria-expanded": "false", "aria-controls": "sc-help" }, "Help");
  var closeBtn = el("button", { type: "button", "aria-label": "Close chat" }, "\u2715");
  head.appendChild(title); head.appendChild(helpBtn); head.appendChild(fbLink); head.appendChild(endBtn); head.appendChild(closeBtn);
  // The help tab: search the help center without leaving the page.
  var help = el("div", { id: "sc-help", "class": "helppane", hidden: "" });
  var helpIn = el("input", { type: "search", "aria-label": "Search help articles", placeholder: "Search our help articles…" });
  var helpOut = el("div", { "class": "tips", "aria-live": "polite", hidden: "" });
  help.appendChild(helpIn); help.appendChild(helpOut);
  var note = el("div", { "class": "note", role: "status", "aria-live": "polite" });
  var log = el("ol", { "class": "log", "aria-live": "polite", "aria-label": "Messages" });
  var typing = el("div", { "class": "typing", "aria-live": "polite" });
  var form = el("form", { novalidate: "" });
  var pre = el("div", { "class": "pre", hidden: "" });
  var nameIn = el("input", { name: "name", autocomplete: "name", id: "sc-name" });
  var emailIn = el("input", { name: "email", type: "email", autocomplete: "email", id: "sc-email" });
  var topicIn = el("select", { name: "topic", id: "sc-topic" });
  pre.appendChild(el("label", { "for": "sc-name" }, "Your name")); pre.appendChild(nameIn);
  var emailLabel = el("label", { "for": "sc-email" }, "Your email");
  pre.appendChild(emailLabel); pre.appendChild(emailIn);
  var topicLabel = el("label", { "for": "sc-topic" }, "Topic");
  pre.appendChild(topicLabel); pre.appendChild(topicIn);
  var text = el("textarea", { name: "text", "aria-label": "Message", placeholder: "Write a message…", maxlength: "4000" });
  var tips = el("div", { "class": "tips", "aria-live": "polite", hidden: "" });
  var row = el("div", { "class": "row" });
  var fileIn = el("input", { type: "file", "class": "sr", id: "sc-file", "aria-label": "Attach a file" });
  var fileBtn = el("label", { "class": "file", "for": "sc-file", tabindex: "0", role: "button" });
  fileBtn.appendChild(icon("M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5"));
  fileBtn.setAttribute("aria-label", "Attach a file");
  var err = el("div", { "class": "err", role: "alert" });
  var send = el("button", { type: "submit", "class": "send" }, "Send");
  row.appendChild(fileIn); row.appendChild(fileBtn); row.appendChild(el("span", { "class": "grow" })); row.appendChild(send);
  form.appendChild(pre); form.appendChild(tips); form.appendChild(text); form.appendChild(err); form.appendChild(row);
  panel.appendChild(head); panel.appendChild(help); panel.appendChild(note); panel.appendChild(log); panel.appendChild(typing); panel.appendChild(form);
  root.appendChild(style); root.appendChild(launch); root.appendChild(panel);

  function paint(colour) {
    launch.style.background = colour; head.style.background = colour; send.style.background = colour;
    var mine = root.querySelectorAll(".m.me");
    for (var i = 0; i < mine.length; i++) mine[i].style.background = colour;
  }
  paint("#1f6feb");

  function isOpen() { return !panel.hasAttribute("hidden"); }
  function toggle(open) {
    if (open) { panel.removeAttribute("hidden"); text.focus(); markRead(); }
    else { panel.setAttribute("hidden", ""); launch.focus(); }
    launch.setAttribute("aria-expanded", open ? "true" : "false");
    save("open", !!open);
  }
  launch.addEventListener("click", function () { toggle(!isOpen()); });
  closeBtn.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });
  fileBtn.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fileIn.click(); } });

  // ---- messages ----
  function scroll() { log.scrollTop = log.scrollHeight; }
  function bubble(m, mine) {
    var li = el("li", { "class": "m" + (mine ? " me" : "") });
    if (mine) li.style.background = info ? info.colour : "#1f6feb";
    var who = el("span", { "class": "who" }, mine ? "You" : m.name || "");
    if (m.author === "bot") who.appendChild(el("span", { "class": "badge" }, "Bot"));
    else if (m.author === "agent") who.appendChild(el("span", { "class": "sr" }, " (a person)"));
    li.appendChild(who);
    linked(li, m.text || "");
    (m.files || []).forEach(function (f) {
      var url = HTTP + f.url + "?inbox=" + encodeURIComponent(KEY) + "&visitor=" + encodeURIComponent(visitor || "");
      if (/^image\/(png|jpeg|gif|webp)$/.test(f.content_type)) {
        var img = el("img", { src: url, alt: f.name }); li.appendChild(img);
      } else {
        li.appendChild(el("br"));
        li.appendChild(el("a", { href: url, target: "_blank", rel: "noopener" }, f.name));
      }
    });
    return li;
  }
  // Text with its web addresses as links (the bot's answers carry the article's address).
  function linked(parent, t) {
    var parts = t.split(/(https?:\/\/[^\s<>"]+)/);
    parts.forEach(function (p, i) {
      if (i % 2) parent.appendChild(el("a", { href: p, target: "_blank", rel: "noopener" }, p));
      else if (p) parent.appendChild(document.createTextNode(p));
    });
  }
  function show(m) {
    // Frames come in sequence order: the last one shown is where a resume starts.
    lastSeq = Math.max(lastSeq, m.seq);
    if (seen[m.seq]) return;
    seen[m.seq] = true;
    var mine = m.author === "customer";
    if (m.cseq) dropOutbox(m.cseq);
    if (m.cseq && pending[m.cseq]) {
      var old = pending[m.cseq]; delete pending[m.cseq];
      old.parentNode && old.parentNode.replaceChild(bubble(m, true), old);
    } else {
      log.appendChild(bubble(m, mine));
    }
    humanOffer(m);
    seenMark();
    scroll();
    if (!mine) markRead();
  }
  var human = null;
  function humanOffer(m) {
    if (human) { human.remove(); human = null; }
    if (m.author !== "bot" || !chat) return;
    human = el("button", { type: "button", "class": "human" }, "Talk to a person");
    human.addEventListener("click", function () { frame({ type: "handoff" }); human.remove(); human = null; });
    log.appendChild(human);
  }
  var seenEl = null;
  function seenMark() {
    if (seenEl) { seenEl.remove(); seenEl = null; }
    var mine = log.querySelectorAll(".m.me");
    if (!mine.length || !agentRead) return;
    var last = mine[mine.length - 1];
    if (last.classList.contains("pending")) return;
    seenEl = el("li", { "class": "seen" }, "Seen");
    log.appendChild(seenEl);
  }
  function markRead() {
    if (!ready || !chat || !isOpen() || document.hidden || lastSeq <= lastRead) return;
    lastRead = lastSeq;
    frame({ type: "read", seq: lastSeq });
  }
  document.addEventListener("visibilitychange", markRead);

  function dropOutbox(n) {
    outbox = outbox.filter(function (o) { return o.cseq !== n; });
    save("outbox", outbox);
  }
  function draft(o) {
    var li = bubble({ author: "customer", text: o.text }, true);
    li.classList.add("pending");
    pending[o.cseq] = li;
    log.appendChild(li);
    scroll();
  }

  // ---- rating an ended chat ----
  var rateBox = null;
  function survey(f) {
    if (rateBox) rateBox.remove();
    rateBox = el("li", { "class": "rate", role: "group", "aria-label": "Rate this chat" });
    rateBox.appendChild(el("p", {}, f.question));
    var chosen = f.rating;
    var row2 = el("div", { "class": "choices" });
    f.choices.forEach(function (c) {
      var b = el("button", { type: "button", "aria-pressed": String(c[0] === chosen) }, c[1]);
      b.disabled = !f.open;
      b.addEventListener("click", function () {
        chosen = c[0];
        var all = row2.querySelectorAll("button");
        for (var i = 0; i < all.length; i++) all[i].setAttribute("aria-pressed", String(all[i] === b));
      });
      row2.appendChild(b);
    });
    rateBox.appendChild(row2);
    if (f.open) {
      var note2 = el("textarea", { "aria-label": "Comment (optional)", placeholder: "Anything to add? (optional)", maxlength: "5000" });
      var go = el("button", { type: "button", "class": "send" }, f.rating == null ? "Send rating" : "Change rating");
      go.style.background = info ? info.colour : "#1f6feb";
      go.addEventListener("click", function () {
        if (chosen == null) { err.textContent = "Choose a rating first."; return; }
        frame({ type: "rate", rating: chosen, comment: note2.value.trim() || undefined });
      });
      rateBox.appendChild(note2); rateBox.appendChild(go);
    }
    if (f.rating != null) rateBox.appendChild(el("p", { role: "status" }, "Thank you for your rating!"));
    log.appendChild(rateBox);
    scroll();
  }

  // ---- status ----
  function minutes(s) { var m = Math.max(1, Math.round(s / 60)); return m + (m === 1 ? " minute" : " minutes"); }
  function status(f) {
    if (f.state === "waiting") {
      note.textContent = "You are number " + f.position + " in line." +
        (f.wait_seconds != null ? " Estimated wait: about " + minutes(f.wait_seconds) + "." : " Someone will be with you shortly.");
    } else if (f.state === "assigned") {
      note.textContent = "You are chatting with " + (f.agent || "our team") + ".";
    } else if (f.state === "offline") {
      note.textContent = "We are away now; we will answer by email.";
    } else if (f.state === "ended") {
      note.textContent = "This chat has ended. Write to start a new one.";
      chat = null;
    }
    endBtn.hidden = !chat;
    prechat();
  }
  function prechat() {
    if (!info) return;
    var away = !info.open;
    var ask = !chat && !known && (info.prechat !== "none" || away);
    pre.hidden = !ask;
    emailLabel.textContent = (info.prechat === "required" || away) ? "Your email (required)" : "Your email (optional)";
    topicLabel.hidden = topicIn.hidden = !info.topics.length;
  }

  // ---- connection ----
  function frame(f) {
    if (ws && ready) { ws.send(JSON.stringify(f)); return true; }
    return false;
  }
  function connect() {
    ready = false;
    ws = new WebSocket(WS);
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "hello", inbox: KEY, visitor: visitor, last_seq: fresh ? 0 : lastSeq }));
    };
    ws.onmessage = function (e) {
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      if (f.type === "welcome") welcome(f);
      else if (f.type === "message") show(f);
      else if (f.type === "ack") {
        chat = f.chat; endBtn.hidden = false;
        var li = pending[f.cseq];
        if (li) { li.classList.remove("pending"); delete pending[f.cseq]; seen[f.seq] = true; }
        dropOutbox(f.cseq); prechat();
      } else if (f.type === "status") status(f);
      else if (f.type === "survey") survey(f);
      else if (f.type === "typing") typing.textContent = f.on ? (f.name || "Someone") + " is typing…" : "";
      else if (f.type === "read") { agentRead = Math.max(agentRead, f.seq); seenMark(); }
      else if (f.type === "error") {
        err.textContent = f.message;
        if (f.cseq != null && pending[f.cseq]) { pending[f.cseq].remove(); delete pending[f.cseq]; dropOutbox(f.cseq); }
        if (f.message && /email/.test(f.message)) { known = false; pre.hidden = false; }
      }
    };
    ws.onclose = function () {
      ready = false;
      note.textContent = "Reconnecting…";
      var wait = Math.min(10000, 500 * Math.pow(2, retry++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, wait);
    };
  }
  function welcome(f) {
    ready = true; retry = 0; info = f.inbox; known = f.known; chat = f.chat;
    visitor = f.visitor; save("visitor", visitor);
    title.textContent = info.name; paint(info.colour);
    note.textContent = info.open ? "" : "We are away now. Leave a message and your email, and we will answer by email.";
    if (fresh) {
      while (log.firstChild) log.removeChild(log.firstChild);
      if (info.greeting) log.appendChild(el("li", { "class": "m" }, info.greeting));
    }
    topicIn.textContent = "";
    topicIn.appendChild(el("option", { value: "" }, "Choose…"));
    info.topics.forEach(function (t) { topicIn.appendChild(el("option", { value: t }, t)); });
    f.messages.forEach(show);
    // Messages not yet acknowledged go again, under their own numbers.
    outbox.forEach(function (o) {
      if (fresh || !pending[o.cseq]) draft(o);
      ws.send(JSON.stringify({ type: "message", cseq: o.cseq, text: o.text, profile: o.profile || undefined }));
    });
    fresh = false;
    endBtn.hidden = !chat;
    prechat();
    markRead();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    err.textContent = "";
    var body = text.value.trim();
    if (!body) return;
    var profile = null;
    if (!pre.hidden) {
      profile = { name: nameIn.value.trim() || null, email: emailIn.value.trim() || null, topic: topicIn.value || null };
      if (!profile.email && (info.prechat === "required" || !info.open)) { err.textContent = "Please give your email address."; emailIn.focus(); return; }
    }
    cseq += 1; save("cseq", cseq);
    var o = { cseq: cseq, text: body, profile: profile };
    outbox.push(o); save("outbox", outbox);
    draft(o);
    text.value = ""; tips.hidden = true;
    frame({ type: "message", cseq: o.cseq, text: o.text, profile: profile || undefined });
    stopTyping();
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : send.click(); }
  });
  function stopTyping() { clearTimeout(typingTimer); if (typingSent) { frame({ type: "typing", on: false }); typingSent = 0; } }
  // Articles for `q` in `box`, each with "This answered it", which counts a deflection.
  function articles(box, q, lead, done) {
    return fetch(HTTP + "/help/suggest?q=" + encodeURIComponent(q)).then(function (r) { return r.ok ? r.json() : { articles: [] }; }).then(function (j) {
      box.textContent = "";
      var list = (j.articles || []).slice(0, 3);
      box.hidden = list.length === 0 && !lead.empty;
      if (!list.length) { if (lead.empty) box.appendChild(el("div", {}, lead.empty)); return; }
      box.appendChild(el("div", {}, lead.some));
      var ul = el("ul");
      list.forEach(function (a) {
        var li = el("li");
        li.appendChild(el("a", { href: HTTP + a.url, target: "_blank", rel: "noopener" }, a.title));
        var yes = el("button", { type: "button" }, "This answered it");
        yes.addEventListener("click", function () {
          var body = "article_id=" + a.id + "&source=widget&query=" + encodeURIComponent(q);
          fetch(HTTP + "/help/deflections", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body }).catch(function () {});
          box.textContent = "Glad that helped! Write again any time.";
          if (done) done();
        });
        li.appendChild(yes);
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }).catch(function () {});
  }
  // Before a chat starts, articles matching what the visitor types are suggested.
  var tipTimer = null, tipAsked = "";
  function suggest() {
    var q = text.value.trim();
    if (chat || q === tipAsked) return;
    tipAsked = q;
    if (q.length < 3) { tips.hidden = true; return; }
    articles(tips, q, { some: "These articles might answer it:" }, function () { text.value = ""; tipAsked = ""; });
  }
  var helpTimer = null;
  helpBtn.addEventListener("click", function () {
    var open = help.hidden;
    help.hidden = !open;
    helpBtn.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) helpIn.focus();
  });
  helpIn.addEventListener("input", function () {
    clearTimeout(helpTimer);
    helpTimer = setTimeout(function () {
      var q = helpIn.value.trim();
      if (q.length < 3) { helpOut.hidden = true; return; }
      articles(helpOut, q, { some: "Articles:", empty: "No article matches; ask us in the chat below." });
    }, 350);
  });
  text.addEventListener("input", function () {
    clearTimeout(tipTimer);
    tipTimer = setTimeout(suggest, 400);
    if (!chat) return;
    var now = Date.now();
    if (now - typingSent > 2000) { frame({ type: "typing", on: true }); typingSent = now; }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 3000);
  });
  endBtn.addEventListener("click", function () { frame({ type: "end" }); });
  fileIn.addEventListener("change", function () {
    var f = fileIn.files && fileIn.files[0];
    if (!f) return;
    if (!chat) { err.textContent = "Write a message first, then attach files."; fileIn.value = ""; return; }
    cseq += 1; save("cseq", cseq);
    var data = new FormData();
    data.append("inbox", KEY); data.append("visitor", visitor); data.append("cseq", String(cseq)); data.append("file", f, f.name);
    err.textContent = "Sending " + f.name + "…";
    fetch(HTTP + "/chat/upload", { method: "POST", body: data }).then(function (r) {
      return r.json().then(function (j) { err.textContent = r.ok ? "" : (j.detail || "The file was not sent."); });
    }).catch(function () { err.textContent = "The file was not sent; try again."; });
    fileIn.value = "";
  });
  setInterval(function () { frame({ type: "ping" }); }, 25000);

  window.StewardChat = {
    open: function () { toggle(true); },
    close: function () { toggle(false); },
    // Drops the connection as a network failure would; it comes back by itself.
    drop: function () { if (ws) ws.close(); }
  };
  function start() {
    document.body.appendChild(host);
    if (load("open", false)) toggle(true);
    connect();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
