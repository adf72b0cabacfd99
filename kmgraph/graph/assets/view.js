/* kmgraph graph view: lays out, draws and explores the graph embedded in the page.
 *
 * No library and no network: the data is the JSON in #kmgraph-data (see
 * kmgraph.graph.page.view_data). The layout is a force simulation (springs along the
 * edges, Barnes-Hut repulsion between nodes, a weak pull to the centre) from a fixed
 * start, run for a fixed number of steps, so the same data gives the same picture.
 * Data text only ever reaches the page through textContent, never as HTML.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("kmgraph-data").textContent);
  var nodes = data.nodes;
  var N = nodes.length;
  var types = {};
  data.types.forEach(function (t) { types[t.id] = t; });

  var svg = document.getElementById("graph");
  var viewport = document.getElementById("viewport");
  var edgeLayer = document.getElementById("edges");
  var nodeLayer = document.getElementById("nodes");
  var labelLayer = document.getElementById("labels");
  var statusEl = document.getElementById("status");
  var details = document.getElementById("details");
  var search = document.getElementById("search");
  var results = document.getElementById("results");

  // ------------------------------------------------------------------ structure

  var neighbours = [];  // per node: {node, type, forward, weight}
  var incident = [];    // per node: indices of drawn links
  var links = [];       // one per connected pair: {s, t}
  var pairIndex = new Map();
  for (var i = 0; i < N; i++) { neighbours.push([]); incident.push([]); }
  data.edges.forEach(function (e) {
    var s = e[0], t = e[1];
    neighbours[s].push({ node: t, type: e[2], forward: true, weight: e[3] });
    neighbours[t].push({ node: s, type: e[2], forward: false, weight: e[3] });
    if (s === t) { return; }
    var key = s < t ? s * N + t : t * N + s;
    if (!pairIndex.has(key)) {
      pairIndex.set(key, links.length);
      incident[s].push(links.length);
      incident[t].push(links.length);
      links.push({ s: s, t: t });
    }
  });
  var radius = nodes.map(function (n) { return Math.min(4 + 1.6 * Math.sqrt(n.degree), 18); });

  // ------------------------------------------------------------------ layout

  var X = new Float64Array(N), Y = new Float64Array(N);
  var VX = new Float64Array(N), VY = new Float64Array(N);
  var pinned = new Uint8Array(N);
  var golden = Math.PI * (3 - Math.sqrt(5));
  for (i = 0; i < N; i++) {  // a sunflower spiral in data order: a fixed, even start
    var r = 12 * Math.sqrt(0.5 + i), a = i * golden;
    X[i] = r * Math.cos(a);
    Y[i] = r * Math.sin(a);
  }
  var linkCount = new Float64Array(N);
  links.forEach(function (l) { linkCount[l.s] += 1; linkCount[l.t] += 1; });
  var linkStrength = links.map(function (l) { return 1 / Math.min(linkCount[l.s], linkCount[l.t]); });
  var linkBias = links.map(function (l) { return linkCount[l.s] / (linkCount[l.s] + linkCount[l.t]); });

  var LINK_DISTANCE = 50, CHARGE = -160, THETA2 = 1, GRAVITY = 0.04, KEEP_VELOCITY = 0.6, COLLIDE = 0.25;
  var TICKS = 300, ALPHA_MIN = 0.001, ALPHA_DECAY = 1 - Math.pow(ALPHA_MIN, 1 / TICKS);

  // The Barnes-Hut quadtree, in flat typed arrays rebuilt each step (no garbage). A cell
  // is a leaf with a chain of bodies (nextBody) or has up to four children; children are
  // created after their parent, so a backward pass sums masses bottom-up.
  var cap = 0, cells = 0;
  var cX0, cY0, cSize, cMass, cCx, cCy, cKids, cBody, cSplit;
  var nextBody = new Int32Array(Math.max(N, 1));
  var stack = new Int32Array(4 * 64);

  function grow(size) {
    var old = { X0: cX0, Y0: cY0, Size: cSize, Kids: cKids, Body: cBody, Split: cSplit };
    cap = size;
    cX0 = new Float64Array(cap); cY0 = new Float64Array(cap); cSize = new Float64Array(cap);
    cMass = new Float64Array(cap); cCx = new Float64Array(cap); cCy = new Float64Array(cap);
    cKids = new Int32Array(4 * cap); cBody = new Int32Array(cap); cSplit = new Uint8Array(cap);
    if (old.X0) {
      cX0.set(old.X0); cY0.set(old.Y0); cSize.set(old.Size);
      cKids.set(old.Kids); cBody.set(old.Body); cSplit.set(old.Split);
    }
  }
  grow(4 * N + 16);

  function newCell(x0, y0, size) {
    if (cells === cap) { grow(2 * cap); }
    var c = cells++;
    cX0[c] = x0; cY0[c] = y0; cSize[c] = size;
    cKids[4 * c] = cKids[4 * c + 1] = cKids[4 * c + 2] = cKids[4 * c + 3] = -1;
    cBody[c] = -1; cSplit[c] = 0;
    return c;
  }

  function kid(c, b) {
    var half = cSize[c] / 2;
    var right = X[b] >= cX0[c] + half ? 1 : 0, down = Y[b] >= cY0[c] + half ? 1 : 0;
    var slot = 4 * c + right + 2 * down;
    if (cKids[slot] < 0) {
      var made = newCell(cX0[c] + right * half, cY0[c] + down * half, half);
      cKids[slot] = made;
    }
    return cKids[slot];
  }

  function buildTree() {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, b, c;
    for (b = 0; b < N; b++) {
      if (X[b] < x0) { x0 = X[b]; } if (X[b] > x1) { x1 = X[b]; }
      if (Y[b] < y0) { y0 = Y[b]; } if (Y[b] > y1) { y1 = Y[b]; }
    }
    cells = 0;
    newCell(x0, y0, Math.max(x1 - x0, y1 - y0, 1) * 1.0001);
    for (b = 0; b < N; b++) {
      c = 0;
      var depth = 0;
      for (;;) {
        if (cSplit[c]) { c = kid(c, b); depth += 1; continue; }
        var first = cBody[c];
        if (first < 0) { cBody[c] = b; nextBody[b] = -1; break; }
        if (depth >= 48 || (X[first] === X[b] && Y[first] === Y[b])) { nextBody[b] = nextBody[first]; nextBody[first] = b; break; }
        cBody[c] = -1;
        cSplit[c] = 1;
        cBody[kid(c, first)] = first;  // its chain moves with it
      }
    }
    for (c = cells - 1; c >= 0; c--) {
      var m = 0, sx = 0, sy = 0;
      if (cSplit[c]) {
        for (var k = 4 * c; k < 4 * c + 4; k++) {
          var child = cKids[k];
          if (child >= 0) { m += cMass[child]; sx += cCx[child] * cMass[child]; sy += cCy[child] * cMass[child]; }
        }
      } else {
        for (b = cBody[c]; b >= 0; b = nextBody[b]) { m += 1; sx += X[b]; sy += Y[b]; }
      }
      cMass[c] = m; cCx[c] = sx / m; cCy[c] = sy / m;
    }
  }

  function repel(b, alpha) {
    var top = 0, fx = 0, fy = 0, px = 0, py = 0, dx, dy, d2, c, xb = X[b], yb = Y[b];
    stack[top++] = 0;
    while (top > 0) {
      c = stack[--top];
      if (cSplit[c]) {
        dx = cCx[c] - xb; dy = cCy[c] - yb; d2 = dx * dx + dy * dy;
        if (cSize[c] * cSize[c] < THETA2 * d2) {
          fx += dx * cMass[c] / d2; fy += dy * cMass[c] / d2;
          continue;
        }
        for (var k = 4 * c; k < 4 * c + 4; k++) { if (cKids[k] >= 0) { stack[top++] = cKids[k]; } }
        continue;
      }
      for (var o = cBody[c]; o >= 0; o = nextBody[o]) {
        if (o === b) { continue; }
        dx = X[o] - xb; dy = Y[o] - yb;
        if (dx === 0 && dy === 0) {  // same spot: a fixed, tiny nudge apart
          dx = ((b * 31 + o * 17) % 11 - 5) * 1e-3 || 1e-3;
          dy = ((b * 13 + o * 7) % 11 - 5) * 1e-3 || -1e-3;
        }
        d2 = dx * dx + dy * dy;
        var gap = radius[b] + radius[o] + 4;
        if (d2 < gap * gap) {  // overlapping circles: pushed apart whatever alpha is
          var d = Math.sqrt(d2);
          px += dx * (gap - d) / d; py += dy * (gap - d) / d;
        }
        if (d2 < 1) { d2 = Math.sqrt(d2); }
        fx += dx / d2; fy += dy / d2;
      }
    }
    VX[b] += fx * CHARGE * alpha - px * COLLIDE;
    VY[b] += fy * CHARGE * alpha - py * COLLIDE;
  }

  function tick(alpha) {
    for (var l = 0; l < links.length; l++) {
      var s = links[l].s, t = links[l].t;
      var dx = X[t] + VX[t] - X[s] - VX[s], dy = Y[t] + VY[t] - Y[s] - VY[s];
      var len = Math.sqrt(dx * dx + dy * dy) || 1e-6;
      var k = (len - LINK_DISTANCE) / len * alpha * linkStrength[l];
      dx *= k; dy *= k;
      VX[t] -= dx * linkBias[l]; VY[t] -= dy * linkBias[l];
      VX[s] += dx * (1 - linkBias[l]); VY[s] += dy * (1 - linkBias[l]);
    }
    if (N > 1) {
      buildTree();
      for (var b = 0; b < N; b++) { repel(b, alpha); }
    }
    for (b = 0; b < N; b++) {
      if (pinned[b]) { VX[b] = 0; VY[b] = 0; continue; }
      VX[b] = (VX[b] - X[b] * GRAVITY * alpha) * KEEP_VELOCITY;
      VY[b] = (VY[b] - Y[b] * GRAVITY * alpha) * KEEP_VELOCITY;
      X[b] += VX[b]; Y[b] += VY[b];
    }
  }

  // ------------------------------------------------------------------ drawing

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG_NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  var edgeEls = links.map(function (l) {
    return el("line", { "class": "edge t-" + nodes[l.s].type + " t-" + nodes[l.t].type }, edgeLayer);
  });
  var byDegree = nodes.map(function (n, j) { return j; }).sort(function (p, q) {
    return nodes[q].degree - nodes[p].degree || p - q;
  });
  var major = new Uint8Array(N);
  byDegree.slice(0, N <= 60 ? N : 30).forEach(function (j) { major[j] = 1; });
  var nodeEls = [], labelEls = [];
  nodes.forEach(function (n, j) {
    var type = types[n.type] || { colour: "#888888", name: n.type };
    var c = el("circle", {
      "class": "node t-" + n.type + (n.centre ? " centre" : ""),
      r: radius[j].toFixed(1),
      fill: type.colour,
      "data-index": String(j),
      "data-type": n.type,
    }, nodeLayer);
    el("title", {}, c).textContent = n.label + " (" + n.type + ")";
    nodeEls.push(c);
    var text = el("text", { "class": "label t-" + n.type + (major[j] ? " major" : "") }, labelLayer);
    text.textContent = n.label.length > 48 ? n.label.slice(0, 46) + "…" : n.label;
    labelEls.push(text);
  });

  function placeNode(j) {
    nodeEls[j].setAttribute("cx", X[j].toFixed(1));
    nodeEls[j].setAttribute("cy", Y[j].toFixed(1));
    labelEls[j].setAttribute("x", (X[j] + radius[j] + 2).toFixed(1));
    labelEls[j].setAttribute("y", (Y[j] + 4).toFixed(1));
  }

  function placeLink(l) {
    var e = edgeEls[l], s = links[l].s, t = links[l].t;
    e.setAttribute("x1", X[s].toFixed(1)); e.setAttribute("y1", Y[s].toFixed(1));
    e.setAttribute("x2", X[t].toFixed(1)); e.setAttribute("y2", Y[t].toFixed(1));
  }

  function placeAll() {
    for (var j = 0; j < N; j++) { placeNode(j); }
    for (var l = 0; l < links.length; l++) { placeLink(l); }
  }

  // ------------------------------------------------------------------ pan and zoom

  var view = { k: 1, tx: 0, ty: 0 };
  // What the view frames while the layout runs: "all", a list of nodes (the selection
  // and its neighbours), or "user" once the reader pans or zooms.
  var framing = "all";

  function applyView() {
    viewport.setAttribute("transform", "translate(" + view.tx.toFixed(2) + "," + view.ty.toFixed(2) + ") scale(" + view.k.toFixed(4) + ")");
    labelLayer.setAttribute("font-size", (12 / view.k).toFixed(3));
    svg.classList.toggle("all-labels", view.k >= 2.2 || N <= 60);
  }

  function fitTo(indices, maxZoom) {
    var w = svg.clientWidth || 800, h = svg.clientHeight || 600;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    indices.forEach(function (j) {
      x0 = Math.min(x0, X[j] - radius[j]); x1 = Math.max(x1, X[j] + radius[j]);
      y0 = Math.min(y0, Y[j] - radius[j]); y1 = Math.max(y1, Y[j] + radius[j]);
    });
    if (!isFinite(x0)) { x0 = -50; y0 = -50; x1 = 50; y1 = 50; }
    var pad = 30, right = w > 600 ? 170 : pad;  // labels run to the right of their node
    var k = Math.min((w - pad - right) / Math.max(x1 - x0, 1), (h - 2 * pad) / Math.max(y1 - y0, 1));
    view.k = Math.max(0.02, Math.min(k, maxZoom));
    view.tx = pad + (w - pad - right) / 2 - view.k * (x0 + x1) / 2;
    view.ty = h / 2 - view.k * (y0 + y1) / 2;
    applyView();
  }

  function visibleNodes() {
    var out = [];
    for (var j = 0; j < N; j++) { if (!hiddenTypes.has(nodes[j].type)) { out.push(j); } }
    return out;
  }

  function fitAll() { framing = "all"; reframe(); }

  function reframe() {
    if (framing === "all") { fitTo(visibleNodes(), 3); } else if (framing !== "user") { fitTo(framing, 2.5); }
  }

  function worldPoint(evt) {
    var box = svg.getBoundingClientRect();
    return { x: (evt.clientX - box.left - view.tx) / view.k, y: (evt.clientY - box.top - view.ty) / view.k };
  }

  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var box = svg.getBoundingClientRect();
    var px = evt.clientX - box.left, py = evt.clientY - box.top;
    var k = Math.max(0.02, Math.min(40, view.k * Math.exp(-evt.deltaY * 0.0015)));
    view.tx = px - (px - view.tx) * k / view.k;
    view.ty = py - (py - view.ty) * k / view.k;
    view.k = k;
    framing = "user";
    applyView();
  }, { passive: false });

  var drag = null;
  svg.addEventListener("pointerdown", function (evt) {
    if (evt.button !== 0) { return; }
    var index = evt.target.getAttribute && evt.target.getAttribute("data-index");
    drag = { id: evt.pointerId, x: evt.clientX, y: evt.clientY, tx: view.tx, ty: view.ty, node: index === null ? -1 : Number(index), moved: false };
    svg.setPointerCapture(evt.pointerId);
    if (drag.node < 0) { svg.classList.add("panning"); }
  });
  svg.addEventListener("pointermove", function (evt) {
    if (!drag || evt.pointerId !== drag.id) { return; }
    if (Math.abs(evt.clientX - drag.x) + Math.abs(evt.clientY - drag.y) > 4) { drag.moved = true; }
    if (!drag.moved) { return; }
    if (drag.node >= 0) {
      var p = worldPoint(evt), j = drag.node;
      X[j] = p.x; Y[j] = p.y; VX[j] = 0; VY[j] = 0; pinned[j] = 1;
      placeNode(j);
      incident[j].forEach(placeLink);
    } else {
      view.tx = drag.tx + evt.clientX - drag.x;
      view.ty = drag.ty + evt.clientY - drag.y;
      framing = "user";
      applyView();
    }
  });
  function endDrag(evt) {
    if (!drag || evt.pointerId !== drag.id) { return; }
    var was = drag;
    drag = null;
    svg.classList.remove("panning");
    if (was.moved || evt.type === "pointercancel") { return; }
    if (was.node >= 0) { select(was.node, false); } else { clearSelection(); }
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);

  // ------------------------------------------------------------------ legend

  var hiddenTypes = new Set();
  var legend = document.getElementById("legend");
  var counts = {};
  nodes.forEach(function (n) { counts[n.type] = (counts[n.type] || 0) + 1; });
  data.types.forEach(function (t) {
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("aria-pressed", "true");
    button.setAttribute("data-type", t.id);
    button.title = "Hide or show " + t.name.toLowerCase();
    button.appendChild(dot(t.colour));
    var name = document.createElement("span");
    name.textContent = t.name;
    var count = document.createElement("span");
    count.className = "count";
    count.textContent = String(counts[t.id] || 0);
    button.appendChild(name);
    button.appendChild(count);
    button.addEventListener("click", function () {
      var hide = !hiddenTypes.has(t.id);
      if (hide) { hiddenTypes.add(t.id); } else { hiddenTypes.delete(t.id); }
      svg.classList.toggle("hide-" + t.id, hide);
      button.setAttribute("aria-pressed", hide ? "false" : "true");
    });
    li.appendChild(button);
    legend.appendChild(li);
  });

  function dot(colour) {
    var d = document.createElement("span");
    d.className = "dot";
    d.style.backgroundColor = colour;
    return d;
  }

  // ------------------------------------------------------------------ details

  var selected = -1;

  function node(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (className) { e.className = className; }
    return e;
  }

  function safeLink(href) {
    return /^https?:\/\//i.test(href) ? href : null;
  }

  function nodeButton(j, extra) {
    var n = nodes[j];
    var button = node("button", null, "nb");
    button.type = "button";
    button.setAttribute("data-index", String(j));
    button.appendChild(dot((types[n.type] || {}).colour || "#888888"));
    button.appendChild(node("span", n.label, "name"));
    button.appendChild(node("span", n.type, "kind"));
    if (extra) { button.appendChild(node("span", extra, "via")); }
    return button;
  }

  function relationOf(nb) {
    var labels = data.edge_labels[nb.type] || [nb.type, nb.type];
    return labels[nb.forward ? 0 : 1];
  }

  function showDetails(j) {
    var n = nodes[j];
    details.textContent = "";
    details.appendChild(node("h2", n.label));
    var badge = node("div", null, "badge");
    badge.appendChild(dot((types[n.type] || {}).colour || "#888888"));
    badge.appendChild(node("span", (types[n.type] || { name: n.type }).name.replace(/s$/, "")));
    details.appendChild(badge);
    var dl = node("dl");
    function row(name, value, href) {
      dl.appendChild(node("dt", name));
      var dd = node("dd");
      var link = href ? safeLink(href) : null;
      if (link) {
        var a = node("a", value);
        a.href = link;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        dd.appendChild(a);
      } else {
        dd.textContent = value;
      }
      dl.appendChild(dd);
    }
    row("type", n.type);
    row("label", n.label);
    row("key", n.key);
    if (n.year !== undefined) { row("year", String(n.year)); }
    row("IRI", n.id);
    n.attrs.forEach(function (attr) { row(attr[0], attr[1], attr[2]); });
    details.appendChild(dl);

    var list = neighbours[j].slice().sort(function (p, q) {
      var rp = relationOf(p), rq = relationOf(q);
      if (rp !== rq) { return rp < rq ? -1 : 1; }
      var lp = nodes[p.node].label.toLowerCase(), lq = nodes[q.node].label.toLowerCase();
      return lp < lq ? -1 : lp > lq ? 1 : p.node - q.node;
    });
    details.appendChild(node("h3", "Neighbours (" + list.length + ")"));
    var ul = node("ul", null, "neighbours");
    list.forEach(function (nb) {
      var li = node("li");
      var button = nodeButton(nb.node);
      button.insertBefore(node("span", relationOf(nb) + (nb.weight > 1 ? " (" + nb.weight + "×)" : ""), "relation"), button.firstChild);
      button.addEventListener("click", function () { select(nb.node, true); });
      li.appendChild(button);
      ul.appendChild(li);
    });
    if (!list.length) { ul.appendChild(node("li", "none in this view", "hint")); }
    details.appendChild(ul);
    details.scrollTop = 0;
  }

  function clearMarks(className) {
    var marked = svg.querySelectorAll("." + className);
    for (var m = 0; m < marked.length; m++) { marked[m].classList.remove(className); }
  }

  function select(j, focus) {
    clearMarks("selected");
    clearMarks("neighbour");
    clearMarks("active");
    selected = j;
    svg.classList.add("has-selection");
    svg.setAttribute("data-selected", String(j));
    nodeEls[j].classList.add("selected");
    labelEls[j].classList.add("selected");
    var around = [j];
    neighbours[j].forEach(function (nb) {
      nodeEls[nb.node].classList.add("neighbour");
      labelEls[nb.node].classList.add("neighbour");
      around.push(nb.node);
    });
    incident[j].forEach(function (l) { edgeEls[l].classList.add("active"); });
    showDetails(j);
    if (focus) { framing = around; reframe(); }
  }

  function clearSelection() {
    clearMarks("selected");
    clearMarks("neighbour");
    clearMarks("active");
    selected = -1;
    svg.classList.remove("has-selection");
    svg.removeAttribute("data-selected");
    details.textContent = "";
    details.appendChild(node("p", N + " nodes. Click a node, or search, to see its details and neighbours. Drag to pan, scroll to zoom, drag a node to move it.", "hint"));
  }

  // ------------------------------------------------------------------ search

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[\u2018\u2019]/g, "'").replace(/[\u2010-\u2015]/g, "-").replace(/\s+/g, " ").trim();
  }

  var primary = nodes.map(function (n) { return [fold(n.label), fold(n.key), n.id.toLowerCase()]; });
  var secondary = nodes.map(function (n) { return n.names.map(fold); });

  // 0 exact label/key/IRI, 1 exact other name, 2/3 prefix, 4/5 word start, 6/7 anywhere
  function score(j, q) {
    var best = 99, names = [primary[j], secondary[j]];
    for (var g = 0; g < 2; g++) {
      for (var m = 0; m < names[g].length; m++) {
        var s = names[g][m], at = s.indexOf(q), rank;
        if (at < 0) { continue; }
        if (s.length === q.length) { rank = 0; } else if (at === 0) { rank = 2; } else if (/[^a-z0-9]/.test(s.charAt(at - 1))) { rank = 4; } else { rank = 6; }
        rank += g;
        if (rank < best) { best = rank; }
      }
    }
    return best;
  }

  function matchedName(j, q) {
    if (primary[j][0].indexOf(q) >= 0) { return null; }
    for (var m = 0; m < secondary[j].length; m++) {
      if (secondary[j][m].indexOf(q) >= 0) { return nodes[j].names[m]; }
    }
    return primary[j][1].indexOf(q) >= 0 ? nodes[j].key : null;
  }

  var found = [], active = -1;

  function runSearch(pick) {
    var q = fold(search.value);
    clearMarks("match");
    results.textContent = "";
    active = -1;
    if (!q) {
      found = [];
      svg.classList.remove("searching");
      results.hidden = true;
      return;
    }
    var scored = [];
    for (var j = 0; j < N; j++) {
      var s = score(j, q);
      if (s < 99) { scored.push([s, j]); }
    }
    scored.sort(function (p, r) {
      return p[0] - r[0] || nodes[r[1]].degree - nodes[p[1]].degree || (nodes[p[1]].label < nodes[r[1]].label ? -1 : nodes[p[1]].label > nodes[r[1]].label ? 1 : p[1] - r[1]);
    });
    found = scored.map(function (p) { return p[1]; });
    svg.classList.add("searching");
    found.forEach(function (k) { nodeEls[k].classList.add("match"); labelEls[k].classList.add("match"); });
    if (!found.length) {
      results.appendChild(node("li", "nothing matches", "empty"));
    }
    found.slice(0, 30).forEach(function (k) {
      var li = node("li");
      li.setAttribute("role", "option");
      var via = matchedName(k, q);
      var button = nodeButton(k, via ? "(" + via + ")" : null);
      button.addEventListener("click", function () { choose(k); });
      li.appendChild(button);
      results.appendChild(li);
    });
    if (found.length > 30) { results.appendChild(node("li", (found.length - 30) + " more…", "empty")); }
    results.hidden = false;
    var unique = scored.length === 1 || (scored.length > 1 && scored[0][0] <= 1 && scored[1][0] > scored[0][0]);
    if (pick && unique) { select(found[0], true); }
  }

  function choose(j) {
    results.hidden = true;
    select(j, true);
  }

  function moveActive(step) {
    var items = results.querySelectorAll("li[role=option]");
    if (!items.length) { return; }
    if (active >= 0) { items[active].classList.remove("active"); }
    active = (active + step + items.length) % items.length;
    items[active].classList.add("active");
    items[active].scrollIntoView({ block: "nearest" });
  }

  function clearAll() {
    search.value = "";
    runSearch(false);
    clearSelection();
  }

  search.addEventListener("input", function () { runSearch(true); });
  search.addEventListener("focus", function () { if (search.value) { results.hidden = false; } });
  search.addEventListener("keydown", function (evt) {
    if (evt.key === "ArrowDown") { evt.preventDefault(); moveActive(1); }
    else if (evt.key === "ArrowUp") { evt.preventDefault(); moveActive(-1); }
    else if (evt.key === "Enter") {
      evt.preventDefault();
      var pickIndex = active >= 0 ? active : 0;
      if (found.length > pickIndex) { choose(found[pickIndex]); }
    } else if (evt.key === "Escape") { clearAll(); search.blur(); }
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && document.activeElement !== search) { clearAll(); }
    else if (evt.key === "/" && document.activeElement !== search) { evt.preventDefault(); search.focus(); }
  });
  document.addEventListener("pointerdown", function (evt) {
    if (!document.getElementById("search-box").contains(evt.target)) { results.hidden = true; }
  });
  document.getElementById("fit").addEventListener("click", fitAll);
  document.getElementById("clear").addEventListener("click", clearAll);

  // ------------------------------------------------------------------ status and start

  function setStatus(extra) {
    var sel = data.selection;
    var text = N + " nodes · " + data.edges.length + " edges";
    if (sel.total > sel.shown) { text += " (the " + sel.shown + " of highest degree among " + sel.total + ")"; }
    if (sel.around && sel.around.length) { text += " · around " + sel.around.join(", ") + " (depth " + sel.depth + ")"; }
    if (extra) { text += " · " + extra; }
    statusEl.textContent = text;
  }

  var alpha = 1, done = 0;
  svg.setAttribute("data-layout", "running");
  placeAll();
  fitAll();

  // The layout runs in slices of ~80 ms, so the page answers clicks and searches while it
  // runs; the drawing is refreshed only now and then (moving thousands of SVG elements
  // costs more than the layout steps between two refreshes).
  var lastDraw = 0;

  function run() {
    var start = performance.now();
    while (done < TICKS && performance.now() - start < 80) {
      tick(alpha);
      alpha *= 1 - ALPHA_DECAY;
      done += 1;
    }
    var now = performance.now();
    if (done < TICKS) {
      if (now - lastDraw > 1500) {
        placeAll();
        reframe();
        setStatus("laying out " + Math.round(100 * done / TICKS) + "%");
        lastDraw = performance.now();
      }
      setTimeout(run, 0);
      return;
    }
    placeAll();
    reframe();
    setStatus("");
    svg.setAttribute("data-layout", "done");
  }

  setStatus("laying out");
  var centres = [];
  nodes.forEach(function (n, j) { if (n.centre) { centres.push(j); } });
  if (centres.length === 1) { select(centres[0], false); }
  setTimeout(run, 0);
})();
