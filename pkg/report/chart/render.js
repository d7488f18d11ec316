// barrage's chart renderer: draws each chart of the page's JSON blob
// (#barrage-charts) with uPlot into its <div data-chart="ID">. The drawn
// charts are kept in window.barrageCharts by id (the browser test reads
// them), what failed in window.barrageChartErrors, and how long drawing
// took in window.barrageDrawMs (building them) and when they were painted,
// in milliseconds from the navigation's start, in window.barrageReadyMs.
(function () {
  "use strict";
  var palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  window.barrageCharts = {};
  window.barrageChartErrors = [];

  function num(v) {
    if (v == null) return "—";
    var a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e6) return (v / 1e6).toPrecision(3) + "M";
    if (a >= 1e4) return (v / 1e3).toPrecision(3) + "k";
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  }
  // pct labels x = 1/(1-q) with the percentile q.
  function pct(x) {
    if (x == null) return "—";
    var q = 100 * (1 - 1 / x);
    if (q <= 0) return "0%";
    var d = Math.max(0, Math.ceil(-Math.log10(100 - q + 1e-12)) + 1);
    var s = q.toFixed(Math.min(d, 6));
    if (s.indexOf(".") >= 0) s = s.replace(/\.?0+$/, "");
    return s + "%";
  }

  // tick formats a tick: uPlot passes null for the ticks a log axis leaves
  // unlabelled.
  function tick(fmt) {
    return function (v) { return v == null ? "" : fmt === num && Number.isInteger(v) && Math.abs(v) < 1e4 ? String(v) : fmt(v); };
  }

  function axis(a, scale, side, fmt) {
    var t = tick(fmt);
    var ax = { label: a.label, scale: scale, size: 60, values: function (u, splits) { return splits.map(t); } };
    if (side) { ax.side = 1; ax.grid = { show: false }; }
    if (a.whole) ax.incrs = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400];
    return ax;
  }

  function build(c, width) {
    var n = c.x.length;
    var names = c.names;
    var xfmt = names ? function (v) { return Number.isInteger(v) && names[v] != null ? names[v] : ""; }
      : c.x_axis.percentile ? pct : num;
    var scales = { x: { time: false } };
    if (c.x_axis.log) scales.x.distr = 3;
    if (names) scales.x.range = function () { return [-0.5, n - 0.5]; };
    scales.y = c.y_axis.log ? { distr: 3 } : { range: function (u, lo, hi) { return [Math.min(0, lo), hi > 0 ? hi * 1.05 : 1]; } };
    var axes = [axis(c.x_axis, "x", false, xfmt), axis(c.y_axis, "y", false, num)];
    if (names) {
      axes[0].splits = function () { return c.x.slice(); };
      axes[0].rotate = 0;
    }
    if (c.y2_axis) {
      scales.y2 = c.y2_axis.log ? { distr: 3 } : { range: function (u, lo, hi) { return [Math.min(0, lo), hi > 0 ? hi * 1.05 : 1]; } };
      axes.push(axis(c.y2_axis, "y2", true, num));
    }
    var series = [{ label: c.x_axis.label, value: function (u, v) { return xfmt(v); } }];
    var data = [c.x];
    var bands = [], below = 0, sum = null; // the stack: its top series (index in series) and its running sum
    c.series.forEach(function (s, i) {
      var color = s.color || palette[i % palette.length];
      var log = s.right ? c.y2_axis && c.y2_axis.log : c.y_axis.log;
      var vals = log ? s.values.map(function (v) { return v != null && v > 0 ? v : null; }) : s.values;
      var own = vals;
      if (s.stack) {
        sum = (sum || vals.map(function () { return 0; })).map(function (t, j) { return t + (vals[j] || 0); });
        vals = sum;
        if (below) bands.push({ series: [series.length, below] });
        below = series.length;
      }
      var o = { label: s.label, stroke: color, width: s.points ? 0 : 1.5, scale: s.right ? "y2" : "y",
        value: s.stack ? function (u, v, si, j) { return num(j == null ? v : own[j]); } : function (u, v) { return num(v); },
        points: { show: !!s.points || n < 60, size: s.points ? 8 : 4, fill: color } };
      if (s.dash) o.dash = [6, 4];
      if (s.join) o.spanGaps = true;
      if (s.fill || s.stack) o.fill = color + (s.stack ? "66" : "33");
      if (s.points) o.paths = function () { return null; };
      series.push(o);
      data.push(vals);
    });
    return [{ title: c.title, width: width, height: 280, scales: scales, axes: axes, series: series, bands: bands,
      padding: [12, c.y2_axis ? null : 36, null, null],
      cursor: { drag: { x: true, y: false } }, legend: { live: true } }, data];
  }

  function draw() {
    var t0 = performance.now();
    var blob = document.getElementById("barrage-charts");
    var charts = blob ? JSON.parse(blob.textContent) : [];
    charts.forEach(function (c) {
      var el = document.querySelector('[data-chart="' + c.id + '"]');
      if (!el) return;
      try {
        var b = build(c, Math.max(300, el.clientWidth || 800));
        window.barrageCharts[c.id] = new uPlot(b[0], b[1], el);
        if (c.note) {
          var p = document.createElement("p");
          p.className = "chart-note";
          p.textContent = c.note;
          el.appendChild(p);
        }
      } catch (e) {
        window.barrageChartErrors.push(c.id + ": " + e);
        el.textContent = "chart " + c.id + " could not be drawn: " + e;
        console.error("chart " + c.id, e);
      }
    });
    window.barrageDrawMs = performance.now() - t0;
    // uPlot paints in a microtask; a task after it sees the charts painted.
    setTimeout(function () { window.barrageReadyMs = performance.now(); }, 0);
    var timer;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        Object.keys(window.barrageCharts).forEach(function (id) {
          var u = window.barrageCharts[id];
          var el = document.querySelector('[data-chart="' + id + '"]');
          u.setSize({ width: Math.max(300, el.clientWidth), height: 280 });
        });
      }, 150);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
