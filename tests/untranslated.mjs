// The "no untranslated string" check shared by the browser tests of the
// Chinese report and dashboard. `untranslatedInPage` runs in the page
// (page.evaluate): it reads every visible text node and the placeholder,
// title and aria-label attributes, and the charts' titles, axis titles and
// dataset labels, and returns each string holding a Latin-letter word that
// is neither
//   - data: a word the page itself shows as data, i.e. inside an element
//     marked translate="no" (HTML's attribute for content that must not be
//     translated: chip and model names and IDs, scenario text, commands,
//     file names, sources) or inside <code>/<pre>; a sentence may quote
//     such a word ("采购 352 h200-sxm"), nor
//   - in ALLOWED: units, acronyms and names that Chinese technical writing
//     uses as they are.
// Text inside script, style, noscript, code, pre, textarea and
// [translate="no"] is not checked.
export function untranslatedInPage(allowed) {
  const skip = 'script, style, noscript, code, pre, textarea, [translate="no"]';
  const wordRe = /[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:[-_./:][A-Za-z0-9]+)*/g;
  // Identifiers are code, not words: snake_case keys, dotted scenario keys
  // and file paths (policy.sensitive_domestic_only, data/economics.toml:12).
  const identifier = (w) => /_|\/|\.(toml|json|csv|md|html)(:\d+)?$/.test(w);
  const strip = (s) => s.replace(/\b\d+(?:\.\d+)?e[+-]?\d+\b/gi, ' ');  // 3.0e12
  const data = new Set();
  for (const e of document.querySelectorAll('[translate="no"], code, pre')) {
    for (const w of strip(e.textContent || '').match(wordRe) || []) data.add(w.toLowerCase());
    for (const a of ['title', 'aria-label']) {
      const v = e.getAttribute(a);
      if (v) for (const w of strip(v).match(wordRe) || []) data.add(w.toLowerCase());
    }
  }
  const ok = new Set(allowed.map((w) => w.toLowerCase()));
  const bad = (text) => (strip(text).match(wordRe) || []).filter(
    (w) => !ok.has(w.toLowerCase()) && !data.has(w.toLowerCase()) && !identifier(w));
  const out = [];
  const seen = new Set();
  const report = (where, text) => {
    const words = bad(text);
    const key = where + text;
    if (words.length && !seen.has(key)) {
      seen.add(key);
      out.push(`${where}: "${text.trim().slice(0, 160)}" (${words.slice(0, 5).join(', ')})`);
    }
  };
  const visible = (el) => {
    if (!el) return false;
    if (el.closest('details:not([open]) > :not(summary)')) return true;  // folded text is still text
    const st = getComputedStyle(el);
    return st.display !== 'none' && st.visibility !== 'hidden' && !el.closest('[hidden]');
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !n.textContent.trim() || !visible(el)) continue;
    const where = (el.closest('section[id]') || el.closest('[id]') || el).id || el.tagName.toLowerCase();
    report(where, n.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
    if (el.closest(skip) || !visible(el)) continue;
    for (const a of ['placeholder', 'title', 'aria-label']) {
      const v = el.getAttribute(a);
      if (v) report(`${el.tagName.toLowerCase()}[${a}]`, v);
    }
  }
  document.title && report('title', document.title);
  // Chart texts drawn on canvas (Chart.js reads them from the chart's config).
  if (typeof Chart !== 'undefined') {
    for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
      const chart = Chart.getChart(canvas);
      if (!chart) continue;
      const name = `chart ${canvas.getAttribute('data-chart')}`;
      for (const scale of Object.values(chart.options.scales || {})) {
        const t = scale && scale.title && scale.title.display !== false && scale.title.text;
        if (t) report(`${name} axis`, String(t));
      }
      for (const ds of chart.data.datasets || []) if (ds.label) report(`${name} legend`, String(ds.label));
      const title = chart.options.plugins && chart.options.plugins.title;
      if (title && title.display && title.text) report(`${name} title`, String(title.text));
    }
  }
  return out;
}

// Units, acronyms and names Chinese technical writing keeps in Latin letters.
export const ALLOWED_WORDS = [
  // units
  'B', 'k', 'M', 'G', 'T', 'h', 's', 'ms', 'kW', 'kWh', 'MW', 'W', 'GB', 'TB', 'GB/s', 'TB/s',
  'USD', 'CNY', 'USD/kWh', 'x',
  // figures and statistics
  'p10', 'p50', 'p90', 'p95', 'p99', 'p10-p90', 'P50', 'P95', 'Y1', 'Y2', 'Y3', 'Y4', 'Y5',
  // the field's acronyms
  'MFU', 'TFLOPS', 'TPP', 'ECCN', '3A090', 'PUE', 'TPOT', 'TTFT', 'SLO', 'JCT', 'HBM', 'BF16',
  'FP8', 'FP4', 'INT8', 'INT4', 'W4A8', 'GPU', 'NPU', 'CPU', 'API', 'JSON', 'TOML', 'CSV', 'ID',
  'token', 'tokens', 'tokens/s', 'MoE', 'TP', 'PP', 'DP', 'EP', 'ZeRO', 'HTTP', 'OpenAPI',
  // names
  'suanli', 'Chart.js', 'MIT', 'JavaScript', 'Prometheus', 'Slurm',
];
