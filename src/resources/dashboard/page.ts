/**
 * The dashboard: one static page, its script and its style, kept as strings in
 * a module so they ship with the compiled code (`tsc` copies no assets) and are
 * served the same from src/ (tsx) and dist/. No build step, no framework: the
 * script calls /v1/stats with the key the user pastes and draws inline SVG.
 * The script is plain ES2017 without template literals, so it can live in
 * String.raw here.
 */

export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>claimledger · dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
  <h1>claimledger</h1>
  <form id="key-form" autocomplete="off">
    <label for="key">API key (read scope)</label>
    <input id="key" name="key" type="password" placeholder="clk_…" required spellcheck="false">
    <button type="submit">Show</button>
  </form>
</header>
<main>
  <p id="status" role="status">Paste an API key to see the numbers. It stays in this tab (sessionStorage) and is sent only to this server.</p>
  <section id="totals" aria-label="Totals" hidden></section>
  <section class="card" aria-labelledby="time-title">
    <div class="card-head">
      <h2 id="time-title">Claims over time</h2>
      <form id="time-form">
        <label>by <select id="group-by"><option value="day">day</option><option value="week" selected>week</option><option value="month">month</option></select></label>
        <label>dated by <select id="time-field"><option value="first_seen_at" selected>first seen</option><option value="created_at">recorded</option></select></label>
        <label>from <input id="from" type="date"></label>
        <label>to <input id="to" type="date"></label>
      </form>
    </div>
    <svg id="chart-time" class="chart" viewBox="0 0 760 280" role="img" aria-labelledby="time-title"></svg>
    <p class="note" id="time-note"></p>
  </section>
  <section class="card" aria-labelledby="verdict-title">
    <div class="card-head"><h2 id="verdict-title">Claims by verdict</h2></div>
    <svg id="chart-verdict" class="chart" viewBox="0 0 760 300" role="img" aria-labelledby="verdict-title"></svg>
  </section>
</main>
</body>
</html>
`;

export const DASHBOARD_CSS = String.raw`
:root { --ink: #1d2733; --muted: #5f6b7a; --line: #d8dee6; --bar: #2f6fb3; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: .8rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 1.2rem; letter-spacing: .02em; }
h2 { margin: 0; font-size: 1rem; }
form { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; }
label { color: var(--muted); font-size: .85rem; }
input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; color: var(--ink); }
#key { width: 22rem; max-width: 60vw; }
button { background: var(--bar); color: #fff; border-color: var(--bar); cursor: pointer; }
main { max-width: 980px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
#status { color: var(--muted); }
#status.error { color: #b3261e; font-weight: 600; }
#totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: .8rem; margin-bottom: 1rem; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
.tile b { display: block; font-size: 1.5rem; }
.tile span { color: var(--muted); font-size: .85rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }
.card-head { display: flex; flex-wrap: wrap; gap: .6rem; justify-content: space-between; align-items: center; margin-bottom: .5rem; }
.chart { width: 100%; height: auto; display: block; }
.chart text { font-size: 11px; fill: var(--muted); }
.chart .axis { stroke: var(--line); }
.chart .bar { shape-rendering: crispEdges; }
.chart .bar:not(.verdict) { fill: var(--bar); }
.chart .value { fill: var(--ink); }
.note { color: var(--muted); font-size: .85rem; margin: .3rem 0 0; }
`;

export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var VERDICT_COLOURS = {
    'true': '#2e7d32', mostly_true: '#66bb6a', mixed: '#f9a825', mostly_false: '#ef6c00',
    'false': '#c62828', misleading: '#8e24aa', unverifiable: '#546e7a', 'null': '#b0bec5'
  };
  var STORE = 'claimledger.dashboard.key';
  var key = '';

  function $(id) { return document.getElementById(id); }

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function say(text, isError) {
    var status = $('status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  function get(path) {
    return fetch(path, { headers: { Authorization: 'Bearer ' + key, Accept: 'application/json' } }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) {
          var error = new Error(body.detail || body.title || ('HTTP ' + res.status));
          error.status = res.status;
          throw error;
        }
        return body;
      });
    });
  }

  function niceMax(n) {
    if (n <= 5) return Math.max(1, n);
    var step = Math.pow(10, Math.floor(Math.log10(n)));
    var top = Math.ceil(n / step) * step;
    return top;
  }

  /** Vertical bars: one per time bucket, oldest first. */
  function drawTimeChart(svg, groups) {
    clear(svg);
    var W = 760, H = 280, left = 48, right = 12, top = 14, bottom = 46;
    var plotW = W - left - right, plotH = H - top - bottom;
    var buckets = groups.filter(function (g) { return g.key !== null; });
    if (buckets.length === 0) {
      svg.appendChild(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No dated claims match.'));
      return;
    }
    var max = niceMax(Math.max.apply(null, buckets.map(function (g) { return g.count; })));
    [0, 0.5, 1].forEach(function (f) {
      var y = top + plotH - f * plotH;
      svg.appendChild(el('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'axis' }));
      svg.appendChild(el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, String(Math.round(max * f))));
    });
    var slot = plotW / buckets.length;
    var every = Math.max(1, Math.ceil(buckets.length / 10));
    buckets.forEach(function (g, i) {
      var h = g.count === 0 ? 0 : Math.max(1, (g.count / max) * plotH);
      var x = left + i * slot + Math.min(2, slot * 0.15);
      var bar = el('rect', { x: x, y: top + plotH - h, width: Math.max(1, slot - 2 * Math.min(2, slot * 0.15)), height: h, class: 'bar', 'data-key': g.key, 'data-count': g.count });
      bar.appendChild(el('title', {}, g.label + ': ' + g.count));
      svg.appendChild(bar);
      if (i % every === 0) {
        svg.appendChild(el('text', { x: left + i * slot + slot / 2, y: H - bottom + 16, 'text-anchor': 'middle' }, g.label));
      }
    });
  }

  /** Horizontal bars: one per verdict, in the API's order, coloured. */
  function drawVerdictChart(svg, groups) {
    clear(svg);
    var W = 760, rowH = 34, left = 130, right = 60, top = 10;
    var H = top * 2 + rowH * groups.length;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var max = Math.max(1, Math.max.apply(null, groups.map(function (g) { return g.count; })));
    groups.forEach(function (g, i) {
      var y = top + i * rowH;
      var w = g.count === 0 ? 0 : Math.max(2, (g.count / max) * (W - left - right));
      svg.appendChild(el('text', { x: left - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, g.label));
      var bar = el('rect', { x: left, y: y + 5, width: w, height: rowH - 10, class: 'bar verdict', fill: VERDICT_COLOURS[String(g.key)] || '#78909c', 'data-key': String(g.key), 'data-count': g.count });
      bar.appendChild(el('title', {}, g.label + ': ' + g.count));
      svg.appendChild(bar);
      svg.appendChild(el('text', { x: left + w + 6, y: y + rowH / 2 + 4, class: 'value' }, String(g.count)));
    });
  }

  function drawTotals(overview) {
    var totals = $('totals');
    totals.textContent = '';
    [['claims', 'claims'], ['sources', 'sources'], ['claimants', 'claimants'], ['reviews', 'reviews']].forEach(function (pair) {
      var tile = document.createElement('div');
      tile.className = 'tile';
      var b = document.createElement('b');
      b.textContent = String(overview.totals[pair[0]]);
      var span = document.createElement('span');
      var recent = overview.created_last_7_days[pair[0]];
      span.textContent = recent === undefined ? pair[1] : pair[1] + ' (' + recent + ' in 7 days)';
      tile.appendChild(b);
      tile.appendChild(span);
      totals.appendChild(tile);
    });
    totals.hidden = false;
  }

  function timeQuery() {
    var params = new URLSearchParams({ group_by: $('group-by').value, time_field: $('time-field').value });
    if ($('from').value) params.set('from', $('from').value + 'T00:00:00Z');
    if ($('to').value) params.set('to', $('to').value + 'T00:00:00Z');
    return '/v1/stats/claims?' + params.toString();
  }

  function refresh() {
    if (!key) return;
    say('Loading…');
    Promise.all([get('/v1/stats/overview'), get(timeQuery()), get('/v1/stats/claims?group_by=verdict')]).then(function (answers) {
      drawTotals(answers[0]);
      drawTimeChart($('chart-time'), answers[1].groups);
      var undated = answers[1].groups.filter(function (g) { return g.key === null; })[0];
      $('time-note').textContent = answers[1].total + ' claims' + (undated ? ', ' + undated.count + ' without a date (not drawn)' : '') + '. Buckets in UTC.';
      drawVerdictChart($('chart-verdict'), answers[2].groups);
      say('Updated ' + new Date().toLocaleTimeString() + '.');
      document.body.setAttribute('data-ready', 'true');
    }).catch(function (error) {
      say(error.status === 401 || error.status === 403 ? 'The key was refused: ' + error.message : 'Could not load the numbers: ' + error.message, true);
      document.body.setAttribute('data-ready', 'error');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('key-form').addEventListener('submit', function (event) {
      event.preventDefault();
      key = $('key').value.trim();
      try { sessionStorage.setItem(STORE, key); } catch (e) { /* storage off: keep it in memory */ }
      refresh();
    });
    $('time-form').addEventListener('change', refresh);
    try { key = sessionStorage.getItem(STORE) || ''; } catch (e) { key = ''; }
    if (key) { $('key').value = key; refresh(); }
  });
})();
`;
