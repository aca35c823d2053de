// Renders the OpenAPI document as a readable list of operations. Plain DOM, no libraries.
(function () {
  "use strict";
  var ops = document.getElementById("ops");
  var filter = document.getElementById("filter");
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function refName(ref) { return ref ? ref.split("/").pop() : ""; }
  function schemaText(s, spec, depth) {
    if (!s) return "";
    if (s.$ref) {
      var name = refName(s.$ref);
      if (depth > 1) return name;
      return name + " " + schemaText(spec.components.schemas[name], spec, depth + 1);
    }
    if (s.type === "array" || (Array.isArray(s.type) && s.type.indexOf("array") >= 0)) return "[" + schemaText(s.items, spec, depth) + "]";
    if (s.properties) {
      var req = s.required || [];
      var parts = Object.keys(s.properties).map(function (k) {
        var p = s.properties[k];
        var t = p.$ref ? refName(p.$ref) : (Array.isArray(p.type) ? p.type.join("|") : (p.type || "any"));
        return "  " + k + (req.indexOf(k) >= 0 ? "" : "?") + ": " + t + (p.description ? "  // " + p.description : "");
      });
      return "{\n" + parts.join("\n") + "\n}";
    }
    return Array.isArray(s.type) ? s.type.join("|") : (s.type || "");
  }
  fetch("/api/v1/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    ops.textContent = "";
    Object.keys(spec.paths).forEach(function (path) {
      var item = spec.paths[path];
      Object.keys(item).forEach(function (method) {
        var op = item[method];
        var box = el("details", "op");
        box.dataset.text = (method + " " + path + " " + (op.summary || "") + " " + (op.description || "")).toLowerCase();
        var sum = el("summary");
        sum.appendChild(el("span", "method method-" + method, method.toUpperCase()));
        sum.appendChild(el("code", "", path));
        sum.appendChild(el("span", "muted", " " + (op.summary || op.description || "")));
        box.appendChild(sum);
        if (op.parameters && op.parameters.length) {
          box.appendChild(el("h4", "", "Parameters"));
          var ul = el("ul");
          op.parameters.forEach(function (p) {
            ul.appendChild(el("li", "", p.name + " (" + p.in + (p.required ? ", required" : "") + ")" + (p.description ? ": " + p.description : "")));
          });
          box.appendChild(ul);
        }
        if (op.requestBody) {
          box.appendChild(el("h4", "", "Body"));
          var content = op.requestBody.content["application/json"];
          box.appendChild(el("pre", "", schemaText(content && content.schema, spec, 0)));
        }
        box.appendChild(el("h4", "", "Responses"));
        var rl = el("ul");
        Object.keys(op.responses || {}).forEach(function (code) {
          var r = op.responses[code];
          var c = r.content && r.content["application/json"];
          rl.appendChild(el("li", "", code + (c ? ": " + schemaText(c.schema, spec, 1) : (r.description ? ": " + r.description : ""))));
        });
        box.appendChild(rl);
        ops.appendChild(box);
      });
    });
  }).catch(function (e) { ops.textContent = "Could not load the API description: " + e; });
  filter.addEventListener("input", function () {
    var q = filter.value.toLowerCase();
    Array.prototype.forEach.call(ops.children, function (c) {
      c.hidden = q && c.dataset.text.indexOf(q) < 0;
    });
  });
})();
