// paperatlas: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error((data.error && data.error.message) || ("HTTP " + r.status)); }
        return data;
      });
    });
  }

  // -- stars ------------------------------------------------------------------------------------
  function setStar(id, on) {
    document.querySelectorAll('button.star[data-id="' + CSS.escape(id) + '"]').forEach(function (b) {
      b.classList.toggle("on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.textContent = on ? "\u2605" : "\u2606";
      b.title = (on ? "Unstar" : "Star") + " (s)";
      var method = b.form && b.form.querySelector('input[name="_method"]');
      if (method) { method.value = on ? "DELETE" : "POST"; }
    });
  }

  function toggleStar(id) {
    var button = document.querySelector('button.star[data-id="' + CSS.escape(id) + '"]');
    if (!button) { return; }
    var on = button.getAttribute("aria-pressed") === "true";
    return api(on ? "DELETE" : "POST", "/api/library/star/" + encodeURIComponent(id))
      .then(function (state) { setStar(id, state.starred); })
      .catch(function (err) { window.alert("Could not change the star: " + err.message); });
  }

  // -- forms posted through the API (tags, notes, lists) ------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-star]")) {
      event.preventDefault();
      toggleStar(form.querySelector("button.star").dataset.id);
      return;
    }
    if (!form.matches("form[data-api]")) { return; }
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
    var body = {};
    new FormData(form).forEach(function (value, key) { if (key !== "_csrf" && key !== "next") { body[key] = value; } });
    var method = (body._method || form.getAttribute("method") || "POST").toUpperCase();
    var status = form.querySelector(".status");
    api(method === "DELETE" ? "POST" : method, form.getAttribute("action"), body)
      .then(function () {
        var card = form.matches("form[data-dismiss]") && form.closest("li.result");
        if (card) {
          card.classList.add("dismissed");
          var why = card.querySelector(".why");
          if (why) { why.textContent = "not interested: left out of this profile's suggestions"; }
          return;
        }
        if (status) { status.textContent = "saved"; } else { window.location.reload(); }
      })
      .catch(function (err) { if (status) { status.textContent = err.message; } else { window.alert(err.message); } });
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit], input[type=checkbox][data-autosubmit]")) { event.target.form.submit(); }
  });

  // -- copy BibTeX --------------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var text = document.getElementById(button.dataset.copy).textContent;
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { copyBySelection(button.dataset.copy); done(); });
    } else { copyBySelection(button.dataset.copy); done(); }
  });

  function copyBySelection(id) {
    var range = document.createRange();
    range.selectNodeContents(document.getElementById(id));
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try { document.execCommand("copy"); } catch (e) { /* the text stays selected for Ctrl-C */ }
  }

  // -- keyboard: / search, j/k move, s star, o open -------------------------------------------------
  var selected = -1;
  function results() { return Array.prototype.slice.call(document.querySelectorAll("li.result")); }
  function select(index) {
    var rows = results();
    if (!rows.length) { return; }
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    rows[selected].scrollIntoView({ block: "nearest" });
  }
  function currentId() {
    var rows = results();
    if (selected >= 0 && rows[selected]) { return rows[selected].dataset.id; }
    var main = document.getElementById("main");
    return main && main.dataset.paperId;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var t = event.target;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) {
      if (event.key === "Escape") { t.blur(); }
      return;
    }
    if (event.key === "/") {
      event.preventDefault();
      var q = document.getElementById("q");
      q.focus();
      q.select();
    } else if (event.key === "j") {
      select(selected + 1);
    } else if (event.key === "k") {
      select(selected - 1);
    } else if (event.key === "s") {
      var id = currentId();
      if (id) { toggleStar(id); }
    } else if (event.key === "m") {
      var pid = currentId();
      if (pid) { window.location.href = "/paper/" + encodeURIComponent(pid) + "/related"; }
    } else if (event.key === "n") {
      var row = results()[selected];
      var dismiss = row && row.querySelector("form[data-dismiss]");
      if (dismiss) { dismiss.requestSubmit(); }
    } else if (event.key === "o") {
      var rows = results();
      var link = selected >= 0 && rows[selected] && rows[selected].querySelector("a.title");
      if (link) { window.location.href = link.href; }
    }
  });

  // -- related papers, fetched after the page shows -----------------------------------------------
  function loadRelated() {
    var box = document.getElementById("related");
    if (!box || !box.dataset.src) { return; }
    fetch(box.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var list = document.createElement("ol");
        list.className = "results";
        (data.hits || []).forEach(function (hit) {
          var li = document.createElement("li");
          li.className = "row";
          var a = document.createElement("a");
          a.className = "title";
          a.href = "/paper/" + encodeURIComponent(hit.id);
          a.textContent = hit.label || hit.title || hit.id;
          var meta = document.createElement("div");
          meta.className = "meta";
          // authors link to their pages, as on every server-rendered card (text only: never markup)
          (hit.authors || []).slice(0, 4).forEach(function (name, i) {
            if (i) { meta.appendChild(document.createTextNode(", ")); }
            var who = document.createElement("a");
            who.className = "author";
            who.href = "/author/" + encodeURIComponent(name);
            who.textContent = name;
            meta.appendChild(who);
          });
          var where = [hit.venue, hit.year].filter(Boolean).join(" ");
          if (where) { meta.appendChild(document.createTextNode((meta.childNodes.length ? " \u00b7 " : "") + where)); }
          li.appendChild(a);
          li.appendChild(meta);
          list.appendChild(li);
        });
        var loading = box.querySelector(".loading");
        if (!data.hits || !data.hits.length) { loading.textContent = "No related papers found."; return; }
        loading.replaceWith(list);
      })
      .catch(function () { /* the link to the related page stays */ });
  }

  // -- maths (KaTeX is only loaded on paper pages whose text has maths) ------------------------------
  function renderMath() {
    if (!window.renderMathInElement) { return; }
    document.querySelectorAll(".math").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "\\[", right: "\\]", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false,
        trust: false,
        strict: "ignore",
        maxSize: 50,
        maxExpand: 200
      });
    });
  }

  renderMath();
  loadRelated();
})();
