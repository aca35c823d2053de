// Article suggestions on the portal's request form: while the customer types a subject or a
// description, matching help-center articles are shown; "This answers my question" posts the
// hidden deflection form, so no request is opened. Without JavaScript the form still works.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var box = document.getElementById("suggestions");
  var deflect = document.getElementById("deflect-form");
  if (!form || !box || !deflect) return;
  var subject = document.getElementById("request-subject");
  var body = document.getElementById("request-body");
  var list = box.querySelector("ul");
  var timer = null;
  var asked = "";

  function typed() {
    return (subject.value + " " + body.value.slice(0, 200)).trim();
  }

  function show(articles, query) {
    list.textContent = "";
    articles.forEach(function (a) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = a.title;
      li.appendChild(link);
      if (a.snippet) {
        var p = document.createElement("p");
        p.className = "snippet";
        p.textContent = a.snippet;
        li.appendChild(p);
      }
      var yes = document.createElement("button");
      yes.type = "button";
      yes.className = "link";
      yes.textContent = "This answers my question";
      yes.addEventListener("click", function () {
        deflect.elements.article_id.value = a.id;
        deflect.elements.query.value = query;
        deflect.submit();
      });
      li.appendChild(yes);
      list.appendChild(li);
    });
    box.hidden = articles.length === 0;
  }

  function ask() {
    var q = typed();
    if (q === asked) return;
    asked = q;
    if (q.length < 3) {
      show([], q);
      return;
    }
    fetch("/help/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
      .then(function (j) { if (q === asked) show(j.articles || [], q); })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 350);
  }
  subject.addEventListener("input", later);
  body.addEventListener("input", later);
})();
