// The topic map of a set of papers (paperatlas): a canvas of points coloured by topic, with pan
// (drag), zoom (wheel, +/-), hover for the title, click to open the paper, shift+drag to list a
// box, a search box that lights up matching titles and authors, and the topic list.
// Plain JS, no library. Data: the JSON in <script type="application/json" class="pa-map-data">
// inside the container (the offline file), or fetched from the container's data-api URL (the
// page; no inline script, so the page's CSP holds). Every text goes in through textContent.
(function () {
  "use strict";
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
    "#9c9ede", "#fd8d3c", "#74c476", "#e7ba52", "#d6616b", "#a55194", "#6baed6", "#fdae6b", "#a1d99b", "#9e9ac8", "#c49c94"];
  var OTHER = "#9aa0a6";
  var STAR = "#d19a00";  // the library's star colour
  var RECOMMENDED = "#1f5fbf";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function paperHref(box, id, info) {
    var base = box.getAttribute("data-paper-base");
    if (base) return base + encodeURIComponent(id);
    return info && info.url ? info.url : null;
  }

  function start(box) {
    var status = box.querySelector(".pa-map-status") || box.appendChild(el("p", "pa-map-status"));
    var inline = box.querySelector("script.pa-map-data");
    if (inline) return draw(box, JSON.parse(inline.textContent));
    var api = box.getAttribute("data-api");
    if (!api) return;
    status.textContent = "Building the topic map (the first time for a venue takes up to a minute)…";
    fetch(api, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (data) { return {ok: r.ok, busy: r.status === 503, data: data}; });
    }).then(function (res) {
      if (!res.ok) {
        var e = res.data && res.data.error ? res.data.error : {message: "the map could not be loaded"};
        var hint = res.busy ? box.getAttribute("data-build-hint") || e.hint : e.hint;
        status.textContent = "No topic map: " + e.message + (hint ? " (" + hint + ")" : "");
        return;
      }
      if (res.data.available === false) {
        status.textContent = "No topic map yet: " + res.data.message + (res.data.hint ? " (" + res.data.hint + ")" : "");
        return;
      }
      draw(box, res.data);
    }).catch(function () { status.textContent = "No topic map: the map could not be loaded."; });
  }

  function draw(box, data) {
    var status = box.querySelector(".pa-map-status");
    var papers = data.papers || {};
    var topics = data.clusters.filter(function (c) { return c.parent === null; });
    var colour = {}, label = {}, parentOf = {};
    topics.forEach(function (t, i) { colour[t.id] = t.id === "other" ? OTHER : PALETTE[i % PALETTE.length]; });
    data.clusters.forEach(function (c) { label[c.id] = c.label; parentOf[c.id] = c.parent || c.id; });
    var pts = data.points.map(function (p) {
      var info = papers[p.id] || {};
      var hay = ((info.title || "") + " " + (info.authors || []).join(" ")).toLowerCase();
      return {id: p.id, x: p.x, y: p.y, topic: parentOf[p.cluster], cluster: p.cluster, info: info, hay: hay};
    });
    status.textContent = (data.notes || []).join(" ");
    // where each topic's name is drawn: the median of its points (once; the view moves them)
    var anchors = [], base = Math.max(1.5, Math.min(4, 6 - 1.1 * Math.log10(Math.max(pts.length, 1))));  // dot size: smaller when many
    topics.forEach(function (t) {
      var members = pts.filter(function (p) { return p.topic === t.id; });
      if (t.id === "other" || !members.length) return;
      var xs = members.map(function (p) { return p.x; }).sort(function (a, b) { return a - b; });
      var ys = members.map(function (p) { return p.y; }).sort(function (a, b) { return a - b; });
      anchors.push({x: xs[xs.length >> 1], y: ys[ys.length >> 1], text: t.label.split(", ")[0]});
    });

    var tools = box.appendChild(el("div", "pa-map-tools"));
    var search = tools.appendChild(el("input", "pa-map-search"));
    search.type = "search";
    search.placeholder = "Light up titles or authors…";
    search.setAttribute("aria-label", "Light up papers whose title or author contains");
    var found = tools.appendChild(el("span", "pa-map-found"));
    var by = tools.appendChild(el("select", "pa-map-by"));
    by.setAttribute("aria-label", "Colour the points by");
    [["topic", "colour: topic"], ["track", "colour: track"], ["library", "colour: starred / recommended"]].forEach(function (o) {
      var opt = by.appendChild(el("option", null, o[1]));
      opt.value = o[0];
    });
    // track colours: the venue's tracks, most common first; library: starred, recommended, the rest
    var trackCount = {};
    pts.forEach(function (p) { var t = p.info.track || "(no track)"; trackCount[t] = (trackCount[t] || 0) + 1; });
    var trackColour = {};
    Object.keys(trackCount).sort(function (a, b) { return trackCount[b] - trackCount[a] || (a < b ? -1 : 1); })
      .forEach(function (t, i) { trackColour[t] = PALETTE[i % PALETTE.length]; });
    var starred = {}, recommended = {};
    (data.starred || []).forEach(function (id) { starred[id] = true; });
    (data.recommended || []).forEach(function (id) { recommended[id] = true; });
    function fill(p) {
      if (by.value === "track") return trackColour[p.info.track || "(no track)"];
      if (by.value === "library") return starred[p.id] ? STAR : recommended[p.id] ? RECOMMENDED : OTHER;
      return colour[p.topic] || OTHER;
    }
    by.addEventListener("change", function () { paint(); });
    var zoomIn = tools.appendChild(el("button", null, "+"));
    var zoomOut = tools.appendChild(el("button", null, "−"));
    var reset = tools.appendChild(el("button", null, "Reset"));
    tools.appendChild(el("span", "pa-map-hint", "drag: pan · wheel: zoom · shift+drag: list a box · click: open"));
    var stage = box.appendChild(el("div", "pa-map-stage"));
    var canvas = stage.appendChild(el("canvas", "pa-map-canvas"));
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Topic map of " + pts.length + " papers");
    var tip = stage.appendChild(el("div", "pa-map-tip"));
    tip.hidden = true;
    var picked = box.appendChild(el("div", "pa-map-picked"));
    var list = box.appendChild(el("div", "pa-map-topics"));
    var ctx = canvas.getContext("2d");
    var view = {scale: 1, dx: 0, dy: 0}, size = {w: 0, h: 0}, query = "", focus = null, hover = null, boxSel = null;

    function toScreen(p) {
      var s = Math.min(size.w, size.h) / 2.2 * view.scale;
      return [size.w / 2 + (p.x + view.dx) * s, size.h / 2 - (p.y + view.dy) * s];
    }
    function fromScreen(sx, sy) {
      var s = Math.min(size.w, size.h) / 2.2 * view.scale;
      return [(sx - size.w / 2) / s - view.dx, -(sy - size.h / 2) / s - view.dy];
    }
    function lit(p) {
      if (query && p.hay.indexOf(query) < 0) return false;
      return !(focus && p.topic !== focus && p.cluster !== focus);
    }
    function resize() {
      var ratio = window.devicePixelRatio || 1;
      size.w = stage.clientWidth || 600;
      size.h = Math.max(320, Math.min(640, Math.round(size.w * 0.7)));
      canvas.width = Math.round(size.w * ratio);
      canvas.height = Math.round(size.h * ratio);
      canvas.style.width = size.w + "px";
      canvas.style.height = size.h + "px";
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      paint();
    }
    function paint() {
      ctx.clearRect(0, 0, size.w, size.h);
      var dim = [], bright = [], r = Math.min(7, base * Math.sqrt(view.scale));
      pts.forEach(function (p) { (lit(p) ? bright : dim).push(p); });
      ctx.globalAlpha = query || focus ? 0.12 : 0.75;
      dim.concat(query || focus ? [] : bright).forEach(dot);
      ctx.globalAlpha = 1;
      if (query || focus) bright.forEach(dot);
      function dot(p) {
        var s = toScreen(p);
        ctx.fillStyle = fill(p);
        ctx.fillRect(s[0] - r, s[1] - r, 2 * r, 2 * r);
      }
      ctx.font = "600 12px system-ui, sans-serif";
      ctx.textAlign = "center";
      anchors.forEach(function (an) {
        var s = toScreen(an), text = an.text;
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255,255,255,0.85)";
        ctx.strokeText(text, s[0], s[1]);
        ctx.fillStyle = "#111";
        ctx.fillText(text, s[0], s[1]);
      });
      if (hover) {
        var h = toScreen(hover);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 2;
        ctx.strokeRect(h[0] - 5, h[1] - 5, 10, 10);
      }
      if (boxSel) {
        ctx.strokeStyle = "#1f5fbf";
        ctx.lineWidth = 1;
        ctx.strokeRect(boxSel.x0, boxSel.y0, boxSel.x1 - boxSel.x0, boxSel.y1 - boxSel.y0);
      }
      found.textContent = query ? bright.length + " match" + (bright.length === 1 ? "" : "es") : "";
    }
    function nearest(sx, sy) {
      var best = null, bestD = 64;  // within 8 px
      pts.forEach(function (p) {
        if ((query || focus) && !lit(p)) return;
        var s = toScreen(p), d = (s[0] - sx) * (s[0] - sx) + (s[1] - sy) * (s[1] - sy);
        if (d < bestD) { bestD = d; best = p; }
      });
      return best;
    }
    function paperItem(p) {
      var li = el("li");
      var href = paperHref(box, p.id, p.info);
      var a = li.appendChild(el(href ? "a" : "span", null, p.info.title || p.id));
      if (href) a.href = href;
      li.appendChild(el("span", "pa-map-topic", " · " + label[p.cluster]));
      return li;
    }
    function showPicked(chosen, heading) {
      picked.textContent = "";
      picked.appendChild(el("h3", null, heading));
      var ol = picked.appendChild(el("ol"));
      chosen.slice(0, 200).forEach(function (p) { ol.appendChild(paperItem(p)); });
      if (chosen.length > 200) picked.appendChild(el("p", null, "… and " + (chosen.length - 200) + " more"));
    }

    var drag = null;
    canvas.addEventListener("mousedown", function (e) {
      var r = canvas.getBoundingClientRect();
      drag = {x: e.clientX - r.left, y: e.clientY - r.top, moved: false, box: e.shiftKey};
    });
    window.addEventListener("mouseup", function (e) {
      if (!drag) return;
      var d = drag;
      drag = null;
      if (d.box && boxSel) {
        var a = fromScreen(Math.min(boxSel.x0, boxSel.x1), Math.max(boxSel.y0, boxSel.y1));
        var b = fromScreen(Math.max(boxSel.x0, boxSel.x1), Math.min(boxSel.y0, boxSel.y1));
        var inside = pts.filter(function (p) { return p.x >= a[0] && p.x <= b[0] && p.y >= a[1] && p.y <= b[1] && lit(p); });
        boxSel = null;
        showPicked(inside, inside.length + " papers in the box");
        paint();
      } else if (!d.moved && e.target === canvas) {
        var r = canvas.getBoundingClientRect(), p = nearest(e.clientX - r.left, e.clientY - r.top);
        if (p) {
          var href = paperHref(box, p.id, p.info);
          if (href) window.location.href = href; else showPicked([p], "Paper");
        }
      }
    });
    canvas.addEventListener("mousemove", function (e) {
      var r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
      if (drag) {
        if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3) drag.moved = true;
        if (drag.box) {
          boxSel = {x0: drag.x, y0: drag.y, x1: x, y1: y};
        } else if (drag.moved) {
          var s = Math.min(size.w, size.h) / 2.2 * view.scale;
          view.dx += (x - drag.x) / s;
          view.dy -= (y - drag.y) / s;
          drag.x = x;
          drag.y = y;
        }
        paint();
        return;
      }
      var p = nearest(x, y);
      if (p !== hover) {
        hover = p;
        paint();
      }
      if (p) {
        tip.hidden = false;
        tip.textContent = "";
        tip.appendChild(el("strong", null, p.info.title || p.id));
        if (p.info.authors && p.info.authors.length) tip.appendChild(el("div", null, p.info.authors.slice(0, 4).join(", ")));
        tip.appendChild(el("div", "pa-map-topic", label[p.cluster]));
        tip.style.left = Math.min(x + 12, size.w - 260) + "px";
        tip.style.top = (y + 12) + "px";
        canvas.style.cursor = "pointer";
      } else {
        tip.hidden = true;
        canvas.style.cursor = "grab";
      }
    });
    canvas.addEventListener("mouseleave", function () { tip.hidden = true; hover = null; paint(); });
    function zoom(factor, sx, sy) {
      var before = fromScreen(sx, sy);
      view.scale = Math.max(0.5, Math.min(60, view.scale * factor));
      var after = fromScreen(sx, sy);
      view.dx += after[0] - before[0];
      view.dy += after[1] - before[1];
      paint();
    }
    canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = canvas.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    zoomIn.addEventListener("click", function () { zoom(1.5, size.w / 2, size.h / 2); });
    zoomOut.addEventListener("click", function () { zoom(1 / 1.5, size.w / 2, size.h / 2); });
    reset.addEventListener("click", function () {
      view = {scale: 1, dx: 0, dy: 0};
      focus = null;
      search.value = query = "";
      picked.textContent = "";
      paint();
    });
    search.addEventListener("input", function () {
      query = search.value.trim().toLowerCase();
      paint();
    });

    // the topic list: sizes, the finer topics, the most central papers; clicking one lights it up
    list.appendChild(el("h3", null, topics.length + " topics"));
    var ul = list.appendChild(el("ul"));
    topics.forEach(function (t) {
      var li = ul.appendChild(el("li", "pa-map-topic-item"));
      var head = li.appendChild(el("button", "pa-map-topic-name"));
      var swatch = head.appendChild(el("span", "pa-map-swatch"));
      swatch.style.background = colour[t.id];
      head.appendChild(el("span", null, t.label));
      head.appendChild(el("span", "count", " · " + t.size + " papers"));
      head.addEventListener("click", function () { focus = focus === t.id ? null : t.id; paint(); });
      if (t.search) {  // the search narrowed to this topic (served by the map's API)
        var go = li.appendChild(el("a", "pa-map-topic-search", "search its papers"));
        go.href = t.search;
      }
      var subs = data.clusters.filter(function (c) { return c.parent === t.id; });
      if (subs.length > 1) {
        var sub = li.appendChild(el("div", "pa-map-subtopics"));
        subs.forEach(function (c) {
          var b = sub.appendChild(el("button", "pa-map-subtopic", c.label + " (" + c.size + ")"));
          b.addEventListener("click", function () { focus = focus === c.id ? null : c.id; paint(); });
        });
      }
      var top = (t.top || []).slice(0, 3);
      if (top.length) {
        var ol = li.appendChild(el("ul", "pa-map-top"));
        top.forEach(function (id) {
          var info = papers[id] || {}, href = paperHref(box, id, info), item = ol.appendChild(el("li"));
          var a = item.appendChild(el(href ? "a" : "span", null, info.title || "(untitled) " + id));
          if (href) a.href = href;
        });
      }
    });
    window.addEventListener("resize", resize);
    resize();
    // where a paper is drawn, in CSS pixels of the canvas (for tests and scripts driving the page)
    box.paMapScreen = function (id) {
      var p = pts.filter(function (q) { return q.id === id; })[0];
      return p ? toScreen(p) : null;
    };
    box.setAttribute("data-ready", String(pts.length));
  }

  function init() {
    var boxes = document.querySelectorAll(".pa-map");
    for (var i = 0; i < boxes.length; i++) start(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
