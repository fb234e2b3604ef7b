// The page script of `suanli report`: draws every canvas[data-chart] from its
// JSON block with Chart.js, without animation (inlined into every report;
// embedded at build time by cmake/embed_asset.cmake).
(function () {
  'use strict';
  function usd(v) {
    if (v === null || v === undefined || !isFinite(v)) return '';
    var a = Math.abs(v), s = v < 0 ? '\u2212$' : '$';
    if (a >= 1e9) return s + +(a / 1e9).toPrecision(3) + ' B';
    if (a >= 1e6) return s + +(a / 1e6).toPrecision(3) + ' M';
    if (a >= 1e4) return s + +(a / 1e3).toPrecision(3) + ' k';
    return s + Math.round(a).toLocaleString('en-US');
  }
  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return '';
    return Number(v).toLocaleString('en-US', { maximumSignificantDigits: 4 });
  }
  function pct(v) {
    if (v === null || v === undefined || !isFinite(v)) return '';
    var p = v * 100;
    return (Math.abs(p) < 10 && p !== 0 ? p.toFixed(1) : p.toFixed(0)) + '%';
  }
  function rel(v) { return (v === null || v === undefined) ? '' : Math.round(v) + '%'; }
  var F = { usd: usd, num: num, pct: pct, rel: rel };
  if (typeof Chart === 'undefined') {
    console.error('suanli report: the chart library did not load');
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif';
  Chart.defaults.color = '#1d2430';
  var charts = [];
  var canvases = document.querySelectorAll('canvas[data-chart]');
  for (var i = 0; i < canvases.length; ++i) {
    var canvas = canvases[i];
    var name = canvas.getAttribute('data-chart');
    try {
      var source = document.getElementById('chart-data-' + name);
      if (!source) throw new Error('no data block');
      var cfg = JSON.parse(source.textContent);
      var f = cfg.suanli || {};
      delete cfg.suanli;
      var o = cfg.options = cfg.options || {};
      o.animation = false;
      o.responsive = true;
      o.maintainAspectRatio = false;
      o.scales = o.scales || {};
      var axes = f.axes || {};
      Object.keys(axes).forEach(function (ax) {
        var fn = F[axes[ax]];
        if (!fn || !o.scales[ax]) return;
        o.scales[ax].ticks = o.scales[ax].ticks || {};
        o.scales[ax].ticks.callback = function (v) { return fn(v); };
      });
      var tf = F[f.tooltip] || num, va = f.valueAxis || 'y';
      o.plugins = o.plugins || {};
      o.plugins.tooltip = o.plugins.tooltip || {};
      o.plugins.tooltip.callbacks = {
        label: function (ctx) {
          var ds = ctx.dataset, s = (ds.label ? ds.label + ': ' : '') + tf(ctx.parsed[va]);
          if (ds.suanliRaw && ds.suanliRaw[ctx.dataIndex] != null)
            s += ' (' + num(ds.suanliRaw[ctx.dataIndex]) + ' ' + (ds.suanliUnit || '') + ')';
          return s;
        }
      };
      charts.push(new Chart(canvas, cfg));
      canvas.setAttribute('data-rendered', 'true');
    } catch (e) {
      console.error('suanli report: chart ' + name + ': ' + e);
    }
  }
  window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener('afterprint', function () { charts.forEach(function (c) { c.resize(); }); });
})();
