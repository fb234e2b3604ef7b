// suanli dashboard: plain JavaScript over the JSON API under /api/v1.
// No build step, no framework, no external URL: Chart.js comes from the
// binary as /chart.js (global `Chart`). Every chart canvas carries
// data-chart="<name>" and gets data-rendered="true" once drawn.
// Responses are read defensively: a missing figure shows as "—".
'use strict';

(() => {
  const API = '/api/v1';
  const TOKEN_KEY = 'suanli.token';
  const DASH = '—';

  // ---------------------------------------------------------------- helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // el('tag.class', {attr: v, onclick: f}, children...)
  function el(spec, attrs, ...children) {
    const [tag, ...classes] = spec.split('.');
    const node = document.createElement(tag || 'div');
    if (classes.length) node.className = classes.join(' ');
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
        else if (k === 'text') node.textContent = v;
        else if (k === 'dataset') Object.assign(node.dataset, v);
        else if (k === 'style' && typeof v === 'object') Object.assign(node.style, v);
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  // First value along any of the dotted paths that is not null/undefined.
  function pick(obj, ...paths) {
    for (const p of paths) {
      let v = obj;
      for (const k of p.split('.')) {
        if (v === null || v === undefined) break;
        v = v[k];
      }
      if (v !== null && v !== undefined) return v;
    }
    return undefined;
  }
  // An array: the value itself, or the first array member under `keys`.
  function listOf(v, ...keys) {
    if (Array.isArray(v)) return v;
    if (v && typeof v === 'object') {
      for (const k of keys) if (Array.isArray(v[k])) return v[k];
    }
    return [];
  }
  // {value, confidence, source} figures from the catalog, or plain numbers.
  const figure = (v) => (v && typeof v === 'object' && 'value' in v ? v.value : v);

  function fmtNum(v, digits = 3) {
    v = figure(v);
    if (!isNum(v)) return DASH;
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e9 || a < 1e-3)) return v.toExponential(2);
    if (a >= 1e6) return (v / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 }) + ' M';
    if (a >= 100) return Math.round(v).toLocaleString('en-US');
    return v.toLocaleString('en-US', { maximumSignificantDigits: digits });
  }
  const fmtInt = (v) => (isNum(figure(v)) ? Math.round(figure(v)).toLocaleString('en-US') : DASH);
  const fmtPct = (v, d = 1) => (isNum(v) ? (v * 100).toFixed(d) + ' %' : DASH);
  // Money in the display currency: the API's JSON amounts are USD and its
  // "currency" object carries the display choice and the CNY rate.
  function moneyOf(res) {
    const c = pick(res, 'currency') || {};
    return c.display === 'CNY' && isNum(c.cny_per_usd) && c.cny_per_usd > 0
      ? { symbol: '¥', rate: c.cny_per_usd, code: 'CNY' }
      : { symbol: '$', rate: 1, code: 'USD' };
  }
  function fmtUsd(v, money = { symbol: '$', rate: 1 }) {
    if (!isNum(v)) return DASH;
    v *= money.rate;
    const s = money.symbol;
    const a = Math.abs(v);
    if (a >= 1e9) return s + (v / 1e9).toFixed(2) + ' B';
    if (a >= 1e6) return s + (v / 1e6).toFixed(2) + ' M';
    if (a >= 1e4) return s + Math.round(v).toLocaleString('en-US');
    return s + v.toLocaleString('en-US', { maximumSignificantDigits: 4 });
  }
  function fmtSec(v) {
    if (!isNum(v)) return DASH;
    if (v === 0) return '0 s';
    const a = Math.abs(v);
    if (a < 1e-3) return (v * 1e6).toFixed(1) + ' µs';
    if (a < 1) return (v * 1e3).toPrecision(3) + ' ms';
    if (a < 120) return v.toPrecision(3) + ' s';
    if (a < 7200) return (v / 60).toPrecision(3) + ' min';
    if (a < 172800) return (v / 3600).toPrecision(3) + ' h';
    return (v / 86400).toPrecision(3) + ' d';
  }
  const fmtGb = (v) => (isNum(v) ? v.toFixed(v >= 100 ? 0 : 1) + ' GB' : DASH);
  function fmtTime(s) {
    if (!s) return DASH;
    const d = typeof s === 'number' ? new Date(s * 1000) : new Date(s);
    if (Number.isNaN(d.getTime())) return String(s);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }
  const text = (v) => (v === undefined || v === null || v === '' ? DASH : String(v));

  // ------------------------------------------------------------- API calls
  class ApiError extends Error {
    constructor(status, code, message, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  const state = {
    token: localStorage.getItem(TOKEN_KEY) || '',
    health: null,
    accelerators: [],
    accelById: new Map(),
    models: [],
    selected: [],
    scenarios: [],
    openScenario: null,
    runs: [],
    selectedRun: null,
    tab: 'catalog',
  };

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const init = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, init);
    } catch (e) {
      setHealth(null, 'server unreachable');
      throw new ApiError(0, 'network', 'cannot reach the server: ' + e.message);
    }
    let data = null;
    const raw = await res.text();
    if (raw) {
      try { data = JSON.parse(raw); } catch { data = { text: raw }; }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const err = new ApiError(res.status, e.code || 'http_' + res.status,
                               e.message || res.statusText || 'request failed', e.field);
      if (res.status === 401 || res.status === 403) showAuthProblem(err, method, path);
      throw err;
    }
    if (method !== 'GET') hideAuthProblem();
    return data;
  }

  function showAuthProblem(err, method, path) {
    const banner = $('#auth-banner');
    const what = err.status === 401 ? '401 Unauthorized' : '403 Forbidden';
    const hint = err.status === 401
      ? (state.token ? 'the token was not accepted — check it in the header bar'
                     : 'enter a token in the header bar (suanli token create NAME)')
      : 'this token may not do that (read-only or revoked)';
    banner.textContent = `${what} on ${method} ${API}${path}: ${err.message} — ${hint}.`;
    banner.hidden = false;
    const st = $('#token-state');
    st.textContent = err.status === 401 ? 'not accepted' : 'forbidden';
    st.className = 'token-state bad';
  }
  function hideAuthProblem() {
    $('#auth-banner').hidden = true;
    const st = $('#token-state');
    if (st.classList.contains('bad')) {
      st.className = 'token-state';
      st.textContent = state.token ? 'token set' : 'no token';
    }
  }

  // An error next to a form; highlights the input the API's `field` names.
  function showError(box, err, form) {
    clearError(box, form);
    if (!err) return;
    const code = err.code ? el('span.code', null, `${err.status || ''} ${err.code}`.trim() + ': ') : null;
    box.replaceChildren(code || '', err.message || String(err),
                        err.field ? el('span.code', null, `  (field: ${err.field})`) : '');
    box.hidden = false;
    if (form && err.field) {
      const input = findField(form, err.field);
      if (input) {
        input.classList.add('invalid');
        const label = input.closest('label');
        if (label) label.classList.add('invalid-label');
        input.setAttribute('aria-invalid', 'true');
        if (typeof input.focus === 'function') input.focus({ preventScroll: true });
      }
    }
  }
  function clearError(box, form) {
    box.hidden = true;
    box.replaceChildren();
    if (form) {
      for (const n of $$('.invalid', form)) { n.classList.remove('invalid'); n.removeAttribute('aria-invalid'); }
      for (const n of $$('.invalid-label', form)) n.classList.remove('invalid-label');
    }
  }
  // "body.input_len" / "input_len" / "body.options.until_hours" → the input
  // whose name matches the longest suffix of the path.
  const FIELD_ALIASES = { accel: 'accelerator', accelerator_id: 'accelerator', id: 'accelerator',
                          accelerators: 'accelerators', accels: 'accelerators' };
  function findField(form, field) {
    const parts = String(field).replace(/\[\d+\]/g, '').split('.').filter(Boolean);
    if (parts.length > 1 && ['body', 'query', 'path'].includes(parts[0])) parts.shift();
    for (let i = 0; i < parts.length; ++i) {
      const name = parts.slice(i).join('.');
      const n = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (n) return n;
    }
    const last = parts[parts.length - 1];
    if (last) {
      const alias = FIELD_ALIASES[last];
      if (alias) {
        const n = form.querySelector(`[name="${CSS.escape(alias)}"]`);
        if (n) return n;
      }
      if (parts[0] === 'options') {
        const n = form.querySelector('[name="options"]');
        if (n) return n;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- charts
  const charts = new Map();  // canvas → Chart
  function drawChart(canvas, config) {
    if (!canvas) return;
    const old = charts.get(canvas);
    if (old) old.destroy();
    canvas.removeAttribute('data-rendered');
    if (typeof window.Chart !== 'function') {
      canvas.parentElement.replaceChildren(el('p.muted', null, 'charting library not loaded'));
      return;
    }
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false },
                                   config.options || {});
    config.options.plugins = Object.assign({ legend: { position: 'bottom' } }, config.options.plugins || {});
    const chart = new window.Chart(canvas, config);
    charts.set(canvas, chart);
    canvas.setAttribute('data-rendered', 'true');
  }
  const canvasFor = (name, root = document) => root.querySelector(`canvas[data-chart="${name}"]`);

  // Warm colours for Chinese domestic accelerators, cool ones for the rest
  // (the same palettes as the HTML report).
  const FOREIGN = ['#1f5fa8', '#2a9d8f', '#5b8fd6', '#6a4c93', '#3d7a3a', '#0f8bb5', '#8fb3e0', '#4d908e', '#7b6fd0', '#1d3557'];
  const DOMESTIC = ['#d1495b', '#e67e22', '#b5651d', '#c0392b', '#edae49', '#f28482', '#9c2c2c', '#f4a259', '#a8552a', '#e9c46a'];
  const UNKNOWN = ['#7f7f7f', '#a0a0a0', '#5f5f5f', '#b8b8b8'];
  const colourOf = new Map();
  const colourCount = [0, 0, 0];
  function isDomestic(id, hint) {
    if (typeof hint === 'boolean') return hint;
    const a = state.accelById.get(id);
    if (!a) return undefined;
    if (typeof a.domestic === 'boolean') return a.domestic;
    const o = String(a.origin || '').toLowerCase();
    if (!o) return undefined;
    return o === 'cn' || o === 'china' || o === 'domestic';
  }
  let scopedColours = null;  // while drawing one run's charts: distinct colours for its types
  function colour(id, domesticHint) {
    if (scopedColours && scopedColours.has(id)) return scopedColours.get(id);
    if (colourOf.has(id)) return colourOf.get(id);
    const d = isDomestic(id, domesticHint);
    const g = d === true ? 1 : d === false ? 0 : 2;
    const pal = g === 0 ? FOREIGN : g === 1 ? DOMESTIC : UNKNOWN;
    const c = pal[colourCount[g]++ % pal.length];
    colourOf.set(id, c);
    return c;
  }
  function rgba(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }
  const originTag = (id, hint) => {
    const d = isDomestic(id, hint);
    return d === undefined ? el('span.tag', null, '?')
      : el('span.tag.' + (d ? 'domestic' : 'foreign'), null, d ? 'domestic' : 'foreign');
  };

  function table(columns, rows, opts = {}) {
    const t = el('table.table');
    t.append(el('thead', null, el('tr', null, columns.map((c) => el('th' + (c.num ? '.num' : ''), null, c.label)))));
    const tb = el('tbody');
    if (rows.length === 0) {
      tb.append(el('tr', null, el('td.muted', { colspan: columns.length }, opts.empty || 'nothing yet')));
    }
    for (const r of rows) {
      const tr = el('tr');
      for (const c of columns) {
        const v = c.render(r);
        tr.append(el('td' + (c.num ? '.num' : ''), null, v instanceof Node ? v : text(v)));
      }
      if (opts.onRow) { tr.classList.add('clickable'); tr.addEventListener('click', () => opts.onRow(r)); }
      tb.append(tr);
    }
    t.append(tb);
    return t;
  }

  function card(k, v, s, cls) {
    return el('div.card' + (cls ? '.' + cls : ''), null, el('div.k', null, k), el('div.v', null, v),
              s ? el('div.s', null, s) : null);
  }

  // ------------------------------------------------------------ header/auth
  function setHealth(h, problem) {
    const box = $('#health');
    if (!h) {
      state.health = null;
      box.className = 'health down';
      box.textContent = problem || 'server unreachable';
      return;
    }
    state.health = h;
    box.className = 'health ok';
    const parts = [`v${text(h.version)}`, `store: ${text(pick(h, 'store', 'store_backend', 'backend'))}`];
    if (h.schema_version !== undefined) parts.push(`schema ${h.schema_version}`);
    if (h.read_requires_token) parts.push('reads need a token');
    box.textContent = parts.join(' · ');
  }
  async function loadHealth() {
    try {
      setHealth(await api('GET', '/health'));
    } catch (e) {
      setHealth(null, e.status ? `health: ${e.status} ${e.message}` : 'server unreachable');
    }
  }

  function initToken() {
    const input = $('#token-input');
    input.value = state.token;
    const st = $('#token-state');
    st.textContent = state.token ? 'token set' : 'no token';
    $('#token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      state.token = input.value.trim();
      if (state.token) localStorage.setItem(TOKEN_KEY, state.token);
      else localStorage.removeItem(TOKEN_KEY);
      st.className = 'token-state';
      st.textContent = state.token ? 'token saved' : 'no token';
      $('#auth-banner').hidden = true;
      // A server with --read-requires-token answered nothing before.
      if (!state.health) loadHealth();
      if (state.accelerators.length === 0) loadCatalog();
      refreshCurrent();
    });
    $('#token-clear').addEventListener('click', () => {
      input.value = '';
      state.token = '';
      localStorage.removeItem(TOKEN_KEY);
      st.className = 'token-state';
      st.textContent = 'no token';
    });
  }

  // ------------------------------------------------------------------- tabs
  const TABS = ['catalog', 'estimate', 'scenarios', 'runs', 'fleet'];
  function showTab(name) {
    if (!TABS.includes(name)) name = 'catalog';
    state.tab = name;
    for (const a of $$('#tabs a')) a.classList.toggle('active', a.dataset.tab === name);
    for (const v of $$('.view')) v.hidden = v.dataset.view !== name;
    for (const c of charts.values()) c.resize();
    refreshCurrent();
  }
  function refreshCurrent() {
    if (state.tab === 'scenarios') loadScenarios();
    if (state.tab === 'runs') { loadScenarios(); loadRuns(); }
    if (state.tab === 'fleet') loadFleet();
  }

  // ------------------------------------------------------------ 1. catalog
  async function loadCatalog() {
    const chipBox = $('#chips');
    try {
      const [acc, models] = await Promise.all([api('GET', '/catalog/accelerators'), api('GET', '/catalog/models')]);
      state.accelerators = listOf(acc, 'accelerators', 'items', 'data');
      state.models = listOf(models, 'models', 'items', 'data');
    } catch (e) {
      chipBox.replaceChildren(el('span.error-box', null, `catalog: ${e.message}`));
      return;
    }
    state.accelById = new Map(state.accelerators.map((a) => [a.id, a]));
    // Colours: foreign first, then domestic, in catalog order.
    for (const a of state.accelerators) if (isDomestic(a.id) === false) colour(a.id);
    for (const a of state.accelerators) colour(a.id);

    // Model and accelerator selects of every form.
    for (const sel of $$('select.model-select')) {
      sel.replaceChildren(...state.models.map((m) => el('option', { value: m.id }, modelLabel(m))));
      const pref = state.models.find((m) => m.id === 'llama3-70b') || state.models[0];
      if (pref) sel.value = pref.id;
    }
    for (const sel of $$('select.accel-select')) {
      sel.replaceChildren(...state.accelerators.map((a) => el('option', { value: a.id }, `${a.name || a.id} (${a.id})`)));
      if (state.accelById.has('h100-sxm')) sel.value = 'h100-sxm';
    }

    const dc = state.accelerators.filter((a) => a.datacenter !== false);
    const defaults = ['h100-sxm', 'h20', 'ascend-910c', 'ascend-910b', 'mlu590', 'h200-sxm'];
    state.selected = defaults.filter((id) => state.accelById.has(id));
    if (state.selected.length < 2) state.selected = dc.slice(0, 6).map((a) => a.id);
    renderChips();
    runCompare();
  }
  function modelLabel(m) {
    const p = pick(m, 'params_b', 'parameters_b', 'total_params_b');
    return p !== undefined ? `${m.name || m.id} (${fmtNum(p)} B)` : (m.name || m.id);
  }
  function renderChips() {
    const box = $('#chips');
    const chip = (a) => {
      const d = isDomestic(a.id);
      const sel = state.selected.includes(a.id);
      const idx = state.selected.indexOf(a.id);
      const c = el('span.chip' + (d ? '.domestic' : '.foreign') + (sel ? '.selected' : ''),
        { role: 'button', tabindex: 0, 'data-accel': a.id, 'aria-pressed': sel ? 'true' : 'false',
          title: [a.name, a.origin ? 'origin ' + a.origin : '', a.china_status || ''].filter(Boolean).join(' · ') },
        el('span.dot', { style: { background: colour(a.id) } }),
        a.id, el('span.origin', null, idx === 0 ? ' baseline' : a.origin ? ' ' + a.origin : ''));
      const toggle = () => {
        if (state.selected.includes(a.id)) state.selected = state.selected.filter((x) => x !== a.id);
        else state.selected.push(a.id);
        renderChips();
      };
      c.addEventListener('click', toggle);
      c.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(); } });
      return c;
    };
    const groups = [
      ['foreign', state.accelerators.filter((a) => isDomestic(a.id) === false)],
      ['domestic (CN)', state.accelerators.filter((a) => isDomestic(a.id) === true)],
      ['origin unknown', state.accelerators.filter((a) => isDomestic(a.id) === undefined)],
    ].filter(([, list]) => list.length);
    box.replaceChildren(...groups.map(([label, list]) =>
      el('div.chip-row', null, el('span.row-label', null, label), ...list.map(chip))));
  }
  function formValues(form) {
    const out = {};
    for (const n of $$('input[name], select[name], textarea[name]', form)) {
      if (n.type === 'radio' && !n.checked) continue;
      const label = n.closest('label');
      if (label && getComputedStyle(label).display === 'none') continue;
      out[n.name] = n.value.trim();
    }
    return out;
  }
  // Integer / number fields of a form → JSON numbers; empty → omitted.
  function numberOr(v) {
    if (v === '' || v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : v;  // the API names the field when it is not a number
  }

  async function runCompare() {
    const form = $('#compare-form');
    const box = $('#compare-error');
    clearError(box, form);
    const v = formValues(form);
    if (state.selected.length === 0) {
      showError(box, { message: 'choose at least one accelerator (click the chips)' });
      return;
    }
    const mode = v.kind === 'train' ? 'train' : 'infer';
    const body = { kind: mode, model: v.model, accelerators: state.selected.slice() };
    if (v.devices) body.devices = numberOr(v.devices);
    if (mode === 'infer') {
      body.input_len = numberOr(v.input_len);
      body.output_len = numberOr(v.output_len);
    } else if (v.tokens) {
      body.tokens = numberOr(v.tokens);
    }
    // The one cost basis (ownership) unless rental is asked for; the same
    // fields as the CLI's --cost-basis and --levy.
    if (v.cost_basis) body.cost_basis = v.cost_basis;
    if (v.levy) body.levy = v.levy;
    if (v.currency && v.currency !== 'usd') body.currency = v.currency;
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    let res;
    try {
      res = await api('POST', '/compare', body);
    } catch (e) {
      showError(box, e, form);
      return;
    }
    renderCompare(res, mode);
  }

  // Throughput per dollar of one compare row: tokens per USD.
  function perUsd(r, mode) {
    if (mode === 'infer') {
      const c = pick(r, 'cost_per_million_output_tokens_usd');
      if (isNum(c) && c > 0) return 1e6 / c;
    }
    const tps = pick(r, 'tokens_per_s', 'output_tokens_per_s');
    const hourly = pick(r, 'hourly_usd_per_device');
    const devices = pick(r, 'devices');
    if (isNum(tps) && isNum(hourly) && isNum(devices) && hourly > 0 && devices > 0) return tps * 3600 / (hourly * devices);
    const cost = pick(r, 'cost_usd'), tokens = pick(r, 'tokens');
    if (isNum(cost) && isNum(tokens) && cost > 0) return tokens / cost;
    return undefined;
  }
  const unverifiedOf = (r) => {
    const u = pick(r, 'unverified_inputs', 'unverified', 'unverified_figures');
    return Array.isArray(u) ? u : [];
  };

  async function renderCompare(res, mode) {
    const rows = listOf(res, 'rows', 'results', 'accelerators');
    // TPP and ECCN class: from the rows, the catalog entry, or /classify.
    const tpp = new Map();
    for (const r of rows) {
      const id = r.accelerator || r.id;
      const a = state.accelById.get(id) || {};
      const t = pick(r, 'tpp', 'classification.tpp') ?? pick(a, 'tpp', 'classification.tpp');
      const cls = pick(r, 'eccn_class', 'classification.eccn_class') ?? pick(a, 'eccn_class', 'classification.eccn_class');
      tpp.set(id, { tpp: figure(t), eccn: cls, unverified: pick(r, 'tpp_unverified') ?? pick(a, 'tpp_unverified') });
    }
    const missing = [...tpp.entries()].filter(([, v]) => !isNum(v.tpp)).map(([id]) => id);
    if (missing.length) {
      try {
        const cl = listOf(await api('POST', '/classify', { accelerators: missing }), 'results', 'classifications', 'accelerators', 'rows');
        for (const c of cl) {
          const t = tpp.get(c.id || c.accelerator) || {};
          t.tpp = figure(c.tpp); t.eccn = t.eccn || c.eccn_class; t.unverified = c.tpp_unverified;
          tpp.set(c.id || c.accelerator, t);
        }
      } catch { /* shown as — */ }
    }

    const ids = rows.map((r) => r.accelerator || r.id);
    const label = (r) => {
      const id = r.accelerator || r.id;
      return unverifiedOf(r).length ? id + ' *' : id;
    };
    const ok = rows.filter((r) => r.ok !== false && r.fits !== false);
    const money = moneyOf(res);
    const unit = (mode === 'infer' ? 'output tokens per ' : 'training tokens per ') + money.symbol;
    const perMoney = (r) => { const x = perUsd(r, mode); return isNum(x) ? x / money.rate : undefined; };
    drawChart(canvasFor('compare-per-usd'), {
      type: 'bar',
      data: {
        labels: ok.map(label),
        datasets: [{ label: unit, data: ok.map((r) => perMoney(r) ?? null),
                     backgroundColor: ok.map((r) => colour(r.accelerator || r.id, pick(r, 'domestic'))) }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false },
                   tooltip: { callbacks: { afterLabel: (c) => {
                     const u = unverifiedOf(ok[c.dataIndex]);
                     return u.length ? 'unverified: ' + u.join(', ') : '';
                   } } } },
        scales: { x: { title: { display: true, text: unit }, ticks: { callback: (v) => fmtNum(v) } } },
      },
    });
    const tppRows = ids.filter((id) => isNum(tpp.get(id)?.tpp));
    drawChart(canvasFor('compare-tpp'), {
      type: 'bar',
      data: {
        labels: tppRows.map((id) => `${id} (${tpp.get(id).eccn || '?'})${tpp.get(id).unverified ? ' *' : ''}`),
        datasets: [{ label: 'TPP', data: tppRows.map((id) => tpp.get(id).tpp),
                     backgroundColor: tppRows.map((id) => colour(id)) }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: 'Total Processing Performance (3A090.a at ≥ 4,800)' } } },
      },
    });

    const cols = [
      { label: 'accelerator', render: (r) => el('span', null, el('span.swatch', { style: { background: colour(r.accelerator || r.id) } }), ' ', r.accelerator || r.id,
                                                       unverifiedOf(r).length ? el('span.unv', { title: 'unverified: ' + unverifiedOf(r).join(', ') }, ' *') : '') },
      { label: 'origin', render: (r) => originTag(r.accelerator || r.id, pick(r, 'domestic')) },
      { label: 'ECCN', render: (r) => tpp.get(r.accelerator || r.id)?.eccn ?? pick(r, 'eccn_class') },
      { label: 'TPP', num: true, render: (r) => fmtInt(tpp.get(r.accelerator || r.id)?.tpp) },
      { label: 'China status', render: (r) => pick(r, 'china_status') },
      { label: 'devices', num: true, render: (r) => fmtInt(pick(r, 'devices')) },
      mode === 'infer'
        ? { label: 'output tok/s', num: true, render: (r) => fmtNum(pick(r, 'output_tokens_per_s')) }
        : { label: 'tokens/s', num: true, render: (r) => fmtNum(pick(r, 'tokens_per_s')) },
      mode === 'infer'
        ? { label: money.symbol + ' / M output tok', num: true, render: (r) => fmtUsd(pick(r, 'cost_per_million_output_tokens_usd'), money) }
        : { label: 'time to train', num: true, render: (r) => { const d = pick(r, 'time_to_train_days'); return isNum(d) ? d.toFixed(1) + ' d' : DASH; } },
      { label: unit, num: true, render: (r) => fmtNum(perMoney(r)) },
      { label: 'rel. speed', num: true, render: (r) => fmtNum(pick(r, 'relative_speed')) },
      { label: 'rel. cost-perf.', num: true, render: (r) => fmtNum(pick(r, 'relative_cost_performance')) },
      { label: 'note', render: (r) => (r.ok === false || r.fits === false ? pick(r, 'error', 'reason', 'message') || 'does not fit' : pick(r, 'bound')) },
    ];
    const wrap = $('#compare-table');
    wrap.replaceChildren(table(cols, rows, { empty: 'no rows' }),
      el('p.hint', null, `Baseline: ${text(pick(res, 'baseline'))}. ${text(pick(res, 'cost_assumptions'))}. ` +
         (money.code === 'CNY' ? `Amounts in CNY at ${money.rate} per USD (data/economics.toml). ` : ''),
         el('span.unv', null, '*'),
         ' marks figures resting on unverified (estimated) catalog inputs; hover for the list.'));
  }

  // ---------------------------------------------------------- 2. estimator
  function syncMode(form, mode) {
    form.classList.toggle('mode-train', mode === 'train');
    form.classList.toggle('mode-infer', mode !== 'train');
  }
  function initEstimate() {
    const form = $('#estimate-form');
    syncMode(form, 'infer');
    for (const r of $$('input[name="mode"]', form)) r.addEventListener('change', () => syncMode(form, r.value));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); runEstimate(); });
    for (const n of $$('input, select', form)) {
      n.addEventListener('input', () => { n.classList.remove('invalid'); n.closest('label')?.classList.remove('invalid-label'); });
    }
    const cform = $('#compare-form');
    syncMode(cform, 'infer');
    cform.querySelector('[name="kind"]').addEventListener('change', (ev) => syncMode(cform, ev.target.value));
    cform.addEventListener('submit', (ev) => { ev.preventDefault(); runCompare(); });
  }

  async function runEstimate() {
    const form = $('#estimate-form');
    const box = $('#estimate-error');
    clearError(box, form);
    const v = formValues(form);
    const mode = v.mode === 'train' ? 'train' : 'infer';
    const body = { accelerator: v.accelerator, devices: numberOr(v.devices), model: v.model };
    if (v.precision) body.precision = v.precision;
    const keys = mode === 'infer' ? ['input_len', 'output_len', 'batch', 'tpot_slo_ms'] : ['seq', 'global_batch', 'tokens'];
    for (const k of keys) if (v[k] !== undefined && v[k] !== '') body[k] = numberOr(v[k]);
    const btn = $('#estimate-run');
    btn.disabled = true;
    $('#estimate-cards').replaceChildren(el('p.muted', null, 'estimating…'));
    let res;
    try {
      res = await api('POST', '/estimate/' + mode, body);
    } catch (e) {
      showError(box, e, form);
      $('#estimate-cards').replaceChildren(el('p.muted', null, 'no result'));
      return;
    } finally {
      btn.disabled = false;
    }
    renderEstimate(res, mode);
  }

  function renderEstimate(res, mode) {
    const r = pick(res, 'result', 'estimate') && typeof res.result === 'object' ? res.result : res;
    const cards = [];
    const fits = pick(r, 'fits');
    if (mode === 'train') {
      cards.push(card('step time', fmtSec(pick(r, 'step_time_s')), `${fmtInt(pick(r, 'parallelism.global_batch'))} seq × ${fmtInt(pick(r, 'seq'))} tok`));
      cards.push(card('tokens / s', fmtNum(pick(r, 'tokens_per_s')), `${fmtNum(pick(r, 'tokens_per_s_per_device'))} per device`));
      cards.push(card('MFU', fmtPct(pick(r, 'mfu')), `HFU ${fmtPct(pick(r, 'hfu'))} · peak ${text(pick(r, 'mfu_peak'))}`));
      // A multi-die package (Ascend 910C) runs a rank per die: memory is per die.
      const perDie = pick(r, 'dies_per_device') > 1;
      cards.push(card(perDie ? 'memory / die' : 'memory / device', fmtGb(pick(r, 'memory_per_device_gb')),
                      `of ${fmtGb(pick(r, 'memory_usable_gb'))} usable${perDie ? ` · ${fmtInt(pick(r, 'ranks'))} ranks` : ''}`,
                      fits === false ? 'bad' : ''));
      cards.push(card('cost', fmtUsd(pick(r, 'cost_usd')), `${fmtNum(pick(r, 'device_hours'))} device-hours`));
      const ttt = pick(r, 'time_to_train_days');
      cards.push(card('time to train', isNum(ttt) ? ttt.toFixed(1) + ' d' : DASH, `${fmtNum(pick(r, 'tokens'))} tokens · ${fmtNum(pick(r, 'energy_mwh'))} MWh`));
      const p = pick(r, 'parallelism') || {};
      cards.push(card('parallelism', `TP${text(p.tp)} PP${text(p.pp)} DP${text(p.dp)}`,
                      `EP${text(p.ep)} CP${text(p.cp)} · mb ${text(p.micro_batch)} · ZeRO ${text(p.zero)} · ${text(p.recompute)}`));
    } else {
      cards.push(card('step time (decode)', fmtSec(pick(r, 'decode_step_s')), `prefill ${fmtSec(pick(r, 'prefill_s'))}`));
      cards.push(card('output tokens / s', fmtNum(pick(r, 'output_tokens_per_s')), `${fmtNum(pick(r, 'output_tokens_per_s_per_device'))} per device`));
      cards.push(card('TTFT / TPOT', `${fmtSec(pick(r, 'ttft_s'))} / ${fmtSec(pick(r, 'tpot_s'))}`, `batch ${fmtInt(pick(r, 'batch'))} of max ${fmtInt(pick(r, 'max_batch'))}`));
      cards.push(card('MFU', fmtPct(pick(r, 'mfu', 'decode_mfu')), pick(r, 'decode.bound') ? 'decode ' + pick(r, 'decode.bound') + '-bound' : ''));
      cards.push(card('memory / device', fmtGb(pick(r, 'memory_per_device_gb')), `of ${fmtGb(pick(r, 'memory_usable_gb'))} usable · KV ${fmtGb(pick(r, 'kv_cache_gb'))}`,
                      fits === false ? 'bad' : ''));
      cards.push(card('cost', fmtUsd(pick(r, 'cost_per_million_output_tokens_usd')), 'per million output tokens'));
      cards.push(card('layout', `${fmtInt(pick(r, 'instances'))} × TP${text(pick(r, 'tp'))}`, `EP${text(pick(r, 'ep'))} · ${text(pick(r, 'precision'))} · KV ${text(pick(r, 'kv_precision'))}`));
    }
    if (fits === false) cards.unshift(card('fits', 'no', pick(r, 'reason', 'message') || 'does not fit in memory', 'bad'));
    const unv = pick(r, 'device.unverified_inputs', 'unverified_inputs');
    const cardsBox = $('#estimate-cards');
    cardsBox.replaceChildren(...cards);
    cardsBox.dataset.mode = mode;
    if (Array.isArray(unv) && unv.length) {
      cardsBox.append(el('div.card', null, el('div.k', null, 'unverified inputs'), el('div.s', null, el('span.unv', null, '* '), unv.join(', '))));
    }
    $('#estimate-raw').textContent = JSON.stringify(res, null, 2);

    // Breakdown chart: train → step-time components; infer → memory.
    const box = $('#estimate-chart-box');
    let labels = [], data = [], title = '';
    if (mode === 'train' && r.breakdown && typeof r.breakdown === 'object') {
      title = 'Step time breakdown (s)';
      for (const [k, val] of Object.entries(r.breakdown)) if (isNum(val) && val > 0) { labels.push(k.replace(/_/g, ' ')); data.push(val); }
    }
    if (labels.length === 0) {
      title = pick(r, 'dies_per_device') > 1 ? 'Memory per die (GB)' : 'Memory per device (GB)';
      const mem = r.memory && typeof r.memory === 'object' ? r.memory : { weights_gb: pick(r, 'weights_gb'), kv_cache_gb: pick(r, 'kv_cache_gb') };
      for (const [k, val] of Object.entries(mem)) if (isNum(val) && val > 0) { labels.push(k.replace(/_gb$/, '').replace(/_/g, ' ')); data.push(val); }
      const usable = pick(r, 'memory_usable_gb'), used = pick(r, 'memory_per_device_gb');
      if (isNum(usable) && isNum(used) && usable > used) { labels.push('free'); data.push(usable - used); }
    }
    if (labels.length) {
      box.hidden = false;
      $('#estimate-chart-title').textContent = title;
      const pal = ['#1f5fa8', '#d1495b', '#2a9d8f', '#e9c46a', '#6a4c93', '#e67e22', '#3d7a3a', '#8fb3e0', '#b8b8b8'];
      drawChart(canvasFor('estimate-breakdown'), {
        type: 'bar',
        data: { labels, datasets: [{ label: title, data, backgroundColor: labels.map((l, i) => (l === 'free' ? '#d9dee5' : pal[i % pal.length])) }] },
        options: { indexAxis: 'y', plugins: { legend: { display: false } } },
      });
    } else {
      box.hidden = true;
    }
  }

  // ---------------------------------------------------------- 3. scenarios
  let scenarioLoading = null;
  async function loadScenarios() {
    if (scenarioLoading) return scenarioLoading;
    scenarioLoading = (async () => {
      try {
        state.scenarios = listOf(await api('GET', '/scenarios'), 'scenarios', 'items', 'data');
      } catch (e) {
        $('#scenario-list').replaceChildren(el('li.muted', null, 'cannot list: ' + e.message));
        return;
      } finally {
        scenarioLoading = null;
      }
      renderScenarioList();
      renderRunScenarioSelect();
    })();
    return scenarioLoading;
  }
  function renderScenarioList() {
    const ul = $('#scenario-list');
    if (state.scenarios.length === 0) { ul.replaceChildren(el('li.muted', null, 'no saved scenarios')); return; }
    ul.replaceChildren(...state.scenarios.map((s) => el('li' + (state.openScenario && state.openScenario.id === s.id ? '.active' : ''),
      { 'data-scenario': s.id, onclick: () => openScenario(s.id) },
      el('span', null, s.name || '#' + s.id), el('span.meta', null, `${text(s.kind)} · v${text(s.version)}`))));
  }
  function renderRunScenarioSelect() {
    const sel = $('#run-scenario');
    const prev = sel.value;
    sel.replaceChildren(...state.scenarios.map((s) => el('option', { value: s.id, 'data-kind': s.kind || '' }, `${s.name} (${text(s.kind)}, v${text(s.version)})`)));
    if (prev && state.scenarios.some((s) => String(s.id) === prev)) sel.value = prev;
  }
  function scenarioMsg(msg, cls) {
    const m = $('#scenario-msg');
    if (!msg) { m.hidden = true; return; }
    m.className = 'msg' + (cls ? ' ' + cls : '');
    m.replaceChildren(...(Array.isArray(msg) ? msg : [msg]));
    m.hidden = false;
  }
  function setNewMode(on) {
    $('#scenario-create').hidden = !on;
    $('#scenario-create-btn').hidden = !on;
    $('#scenario-cancel-new').hidden = !on;
    $('#scenario-save').hidden = on;
    $('#scenario-delete').hidden = on;
    $('#scenario-run').hidden = on;
  }
  async function openScenario(id, version) {
    scenarioMsg(null);
    setNewMode(false);
    let s;
    try {
      s = await api('GET', `/scenarios/${encodeURIComponent(id)}` + (version ? `?version=${version}` : ''));
    } catch (e) {
      scenarioMsg(`cannot open scenario ${id}: ${e.message}`, 'error');
      return;
    }
    s = s.scenario && typeof s.scenario === 'object' ? s.scenario : s;
    state.openScenario = s;
    const latest = state.scenarios.find((x) => x.id === s.id);
    const isOld = latest && isNum(latest.version) && isNum(s.version) && s.version < latest.version;
    $('#scenario-head').className = 'scenario-head';
    $('#scenario-head').replaceChildren(el('strong', null, s.name || '#' + s.id), ` · ${text(s.kind)} · version ${text(s.version)}`,
      isOld ? el('span.tag', null, ` viewing an old version (latest v${latest.version}); saving makes it the newest`) : '',
      el('span.muted', null, ` · ${fmtTime(s.created_at || s.updated_at)}`));
    $('#scenario-body').value = s.body ?? s.toml ?? '';
    $('#scenario-save').disabled = false;
    $('#scenario-delete').disabled = false;
    $('#scenario-run').disabled = false;
    renderScenarioList();
    loadVersions(s.id);
  }
  async function loadVersions(id) {
    const ul = $('#scenario-versions');
    let vs;
    try {
      vs = listOf(await api('GET', `/scenarios/${encodeURIComponent(id)}/versions`), 'versions', 'items');
    } catch (e) {
      ul.replaceChildren(el('li.muted', null, 'versions: ' + e.message));
      return;
    }
    vs = vs.slice().sort((a, b) => (b.version || 0) - (a.version || 0));
    ul.replaceChildren(...vs.map((v) => el('li' + (state.openScenario && state.openScenario.version === v.version ? '.active' : ''),
      { onclick: () => openScenario(id, v.version) },
      el('span', null, 'v' + text(v.version)), el('span.meta', null, fmtTime(v.created_at)))));
    if (vs.length === 0) ul.replaceChildren(el('li.muted', null, 'no versions'));
  }
  async function saveScenario() {
    const s = state.openScenario;
    if (!s) return;
    // expected_version: the latest version this page knows of, so a save
    // over someone else's newer version is refused with 409.
    const latest = state.scenarios.find((x) => x.id === s.id);
    const expected = latest && isNum(latest.version) ? latest.version : s.version;
    const area = $('#scenario-body');
    area.classList.remove('invalid');
    try {
      const r = await api('PUT', `/scenarios/${encodeURIComponent(s.id)}`, { body: area.value, expected_version: expected });
      const saved = r && r.scenario && typeof r.scenario === 'object' ? r.scenario : r;
      await loadScenarios();
      await openScenario(s.id);
      scenarioMsg(`saved as version ${text(saved && saved.version)}`);
    } catch (e) {
      if (e.status === 409) {
        scenarioMsg([el('strong', null, '409 conflict: '), e.message, ' — someone saved a newer version. ',
                     el('button.small.secondary', { type: 'button', onclick: () => { loadScenarios().then(() => loadVersions(s.id)); } }, 'show versions'),
                     ' Your text is still in the editor; reload the latest version to merge.'], 'conflict');
      } else {
        if (e.field && /body/.test(e.field)) area.classList.add('invalid');
        scenarioMsg(`${e.status || ''} ${e.code || ''}: ${e.message}`.trim(), 'error');
      }
    }
  }
  async function createScenario() {
    const form = $('#scenario-create');
    const v = formValues(form);
    const area = $('#scenario-body');
    for (const n of $$('.invalid', form)) n.classList.remove('invalid');
    area.classList.remove('invalid');
    try {
      const r = await api('POST', '/scenarios', { name: v.name, kind: v.kind, body: area.value });
      const s = r && r.scenario && typeof r.scenario === 'object' ? r.scenario : r;
      await loadScenarios();
      if (s && s.id !== undefined) await openScenario(s.id);
      scenarioMsg(`created ${text(s && s.name)} (version ${text(s && s.version)})`);
    } catch (e) {
      if (e.field) {
        const input = findField(form, e.field);
        if (input) input.classList.add('invalid');
        else if (/body/.test(e.field)) area.classList.add('invalid');
      }
      scenarioMsg(`${e.status || ''} ${e.code || ''}: ${e.message}`.trim(), e.status === 409 ? 'conflict' : 'error');
    }
  }
  async function deleteScenario() {
    const s = state.openScenario;
    if (!s) return;
    if (!window.confirm(`Delete scenario ${s.name || s.id}?`)) return;
    try {
      await api('DELETE', `/scenarios/${encodeURIComponent(s.id)}`);
    } catch (e) {
      scenarioMsg(`${e.status || ''} ${e.code || ''}: ${e.message}`.trim(), 'error');
      return;
    }
    state.openScenario = null;
    $('#scenario-body').value = '';
    $('#scenario-head').replaceChildren('No scenario open.');
    $('#scenario-versions').replaceChildren(el('li.muted', null, 'open a scenario'));
    for (const id of ['#scenario-save', '#scenario-delete', '#scenario-run']) $(id).disabled = true;
    scenarioMsg(`deleted ${s.name || s.id}`);
    loadScenarios();
  }
  function initScenarios() {
    $('#scenario-refresh').addEventListener('click', () => loadScenarios());
    $('#scenario-save').addEventListener('click', saveScenario);
    $('#scenario-delete').addEventListener('click', deleteScenario);
    $('#scenario-new').addEventListener('click', () => {
      state.openScenario = null;
      setNewMode(true);
      $('#scenario-head').replaceChildren('New scenario: give it a name and kind, paste or write the TOML, then Create.');
      $('#scenario-body').value = '';
      scenarioMsg(null);
      renderScenarioList();
    });
    $('#scenario-cancel-new').addEventListener('click', () => { setNewMode(false); $('#scenario-head').replaceChildren('No scenario open.'); });
    $('#scenario-create-btn').addEventListener('click', createScenario);
    $('#scenario-run').addEventListener('click', () => {
      const s = state.openScenario;
      if (!s) return;
      location.hash = '#runs';
      const form = $('#run-form');
      renderRunScenarioSelect();
      form.querySelector('[name="scenario_id"]').value = String(s.id);
      form.querySelector('[name="kind"]').value = s.kind === 'plan' ? 'plan' : 'simulate';
      syncRunHint();
    });
  }

  // --------------------------------------------------------------- 4. runs
  const ACTIVE = new Set(['queued', 'running']);
  let runsTimer = null;
  async function loadRuns() {
    try {
      state.runs = listOf(await api('GET', '/runs'), 'runs', 'items', 'data');
    } catch (e) {
      $('#run-table tbody').replaceChildren(el('tr', null, el('td.muted', { colspan: 7 }, 'cannot list runs: ' + e.message)));
      return;
    }
    renderRuns();
    refreshDetailIfChanged();
    scheduleRunPoll();
  }
  // The open run's details follow its status (e.g. it finished between polls).
  let detailStatus = null;
  function refreshDetailIfChanged() {
    if (state.selectedRun === null) return;
    const r = state.runs.find((x) => x.id === state.selectedRun);
    if (r && (r.status !== detailStatus || ACTIVE.has(r.status))) selectRun(r.id);
  }
  function scenarioOfRun(r) {
    const id = pick(r, 'scenario_id', 'params.scenario_id', 'scenario.id');
    const name = pick(r, 'scenario_name', 'scenario.name', 'params.scenario_name');
    const s = state.scenarios.find((x) => x.id === id);
    const version = pick(r, 'scenario_version', 'params.version', 'params.scenario_version', 'scenario.version');
    return (name || (s && s.name) || (id !== undefined ? '#' + id : DASH)) + (version !== undefined ? ` v${version}` : '');
  }
  function progressBar(r) {
    const p = isNum(r.progress) ? Math.max(0, Math.min(1, r.progress)) : (r.status === 'succeeded' ? 1 : 0);
    return el('div.progress' + (r.status === 'succeeded' ? '.done' : ''), { 'data-run-progress': r.id, title: r.message || '' },
              el('div', { style: { width: (p * 100).toFixed(1) + '%' } }), el('span', null, (p * 100).toFixed(0) + ' %'));
  }
  function renderRuns() {
    const tb = $('#run-table tbody');
    if (state.runs.length === 0) { tb.replaceChildren(el('tr', null, el('td.muted', { colspan: 7 }, 'no runs yet'))); return; }
    tb.replaceChildren(...state.runs.map((r) => {
      const active = ACTIVE.has(r.status);
      const tr = el('tr.clickable' + (state.selectedRun === r.id ? '.selected' : ''), { 'data-run': r.id, 'data-status': r.status },
        el('td', null, String(r.id)),
        el('td', null, text(r.kind)),
        el('td', null, scenarioOfRun(r)),
        el('td', null, el('span.status.' + (r.status || 'unknown'), null, text(r.status)),
           r.message && active ? el('div.muted.small', null, r.message) : ''),
        el('td', null, progressBar(r)),
        el('td.small', null, fmtTime(r.created_at)),
        el('td', null,
           active ? el('button.small.danger', { type: 'button', 'data-cancel': r.id, onclick: (ev) => { ev.stopPropagation(); cancelRun(r.id); } }, 'Cancel') : '',
           r.status === 'succeeded' && r.kind === 'report'
             ? el('a', { href: `${API}/runs/${r.id}/report.html`, target: '_blank', rel: 'noopener', onclick: (ev) => ev.stopPropagation() }, ' report') : ''));
      tr.addEventListener('click', () => selectRun(r.id));
      return tr;
    }));
  }
  function scheduleRunPoll() {
    clearTimeout(runsTimer);
    runsTimer = null;
    if (state.tab !== 'runs') return;
    if (!state.runs.some((r) => ACTIVE.has(r.status))) return;
    runsTimer = setTimeout(pollActiveRuns, 1000);
  }
  async function pollActiveRuns() {
    runsTimer = null;
    const active = state.runs.filter((r) => ACTIVE.has(r.status));
    await Promise.all(active.map(async (r) => {
      try {
        const fresh = await api('GET', `/runs/${r.id}`);
        const run = fresh && fresh.run && typeof fresh.run === 'object' ? fresh.run : fresh;
        const i = state.runs.findIndex((x) => x.id === r.id);
        if (i >= 0) state.runs[i] = Object.assign({}, state.runs[i], run);
      } catch { /* keep polling */ }
    }));
    renderRuns();
    refreshDetailIfChanged();
    scheduleRunPoll();
  }
  async function startRun() {
    const form = $('#run-form');
    const box = $('#run-error');
    clearError(box, form);
    const v = formValues(form);
    let options = {};
    if (v.options) {
      try { options = JSON.parse(v.options); } catch (e) {
        showError(box, { message: 'options: not valid JSON: ' + e.message, field: 'options' }, form);
        return;
      }
    }
    const body = { kind: v.kind, scenario_id: numberOr(v.scenario_id), options };
    let r;
    try {
      r = await api('POST', '/runs', body);
    } catch (e) {
      showError(box, e, form);
      return;
    }
    const run = r && r.run && typeof r.run === 'object' ? r.run : r;
    if (run && run.id !== undefined) {
      state.runs = [run, ...state.runs.filter((x) => x.id !== run.id)];
      state.selectedRun = run.id;
      detailStatus = null;
      renderRuns();
    }
    loadRuns();
  }
  async function cancelRun(id) {
    try {
      await api('POST', `/runs/${id}/cancel`, {});
    } catch (e) {
      showError($('#run-error'), e);
    }
    loadRuns();
  }

  let detailSeq = 0;
  async function selectRun(id) {
    state.selectedRun = id;
    const seq = ++detailSeq;
    for (const tr of $$('#run-table tr[data-run]')) tr.classList.toggle('selected', tr.dataset.run === String(id));
    const box = $('#run-detail');
    box.hidden = false;
    let run;
    try {
      run = await api('GET', `/runs/${id}`);
      run = run && run.run && typeof run.run === 'object' ? run.run : run;
    } catch (e) {
      $('#run-detail-body').replaceChildren(el('p.error-box', null, e.message));
      return;
    }
    if (seq !== detailSeq) return;
    detailStatus = run.status;
    $('#run-detail-title').textContent = `Run #${id} · ${text(run.kind)} · ${text(run.status)}`;
    const body = $('#run-detail-body');
    const kv = el('dl.kv', null,
      el('dt', null, 'scenario'), el('dd', null, scenarioOfRun(run)),
      el('dt', null, 'created'), el('dd', null, fmtTime(run.created_at)),
      el('dt', null, 'updated'), el('dd', null, fmtTime(run.updated_at)),
      el('dt', null, 'message'), el('dd', null, text(run.message)),
      el('dt', null, 'options'), el('dd', null, el('code', null, JSON.stringify(pick(run, 'options', 'params.options') ?? {}))));
    body.replaceChildren(kv);
    const chartsBox = $('#run-charts');
    const extra = $('#run-detail-extra');
    extra.replaceChildren();
    if (run.status === 'failed' || run.status === 'cancelled' || run.status === 'interrupted') {
      const err = run.error && typeof run.error === 'object' ? run.error : null;
      body.append(el('div.error-box', null, err ? `${err.code || ''}: ${err.message || ''}` : text(run.error || run.message || run.status)));
      chartsBox.replaceChildren();
      return;
    }
    if (run.status !== 'succeeded') {
      body.append(el('p.muted', null, 'running… the charts appear when it finishes.'), progressBar(run));
      chartsBox.replaceChildren();
      return;
    }
    if (run.kind === 'report') {
      body.append(el('p', null, el('a', { href: `${API}/runs/${id}/report.html`, target: '_blank', rel: 'noopener', 'data-report-link': id },
                                  'Open the HTML report'), ' (self-contained; opens in a new tab).'));
    }
    let result;
    try {
      result = await api('GET', `/runs/${id}/result`);
    } catch (e) {
      body.append(el('div.error-box', null, 'result: ' + e.message));
      return;
    }
    if (seq !== detailSeq) return;
    renderRunResult(run, result, chartsBox, body, extra);
  }

  function chartBox(name, title, note) {
    const fig = el('figure.chart-box', null, el('figcaption', null, title),
                   el('div.chart-wrap', null, el('canvas', { 'data-chart': name })), note ? el('p.note', null, note) : null);
    return fig;
  }

  // Accelerator IDs a result mentions, in order of first mention.
  function resultAccelerators(r) {
    const ids = [];
    const add = (id) => { if (typeof id === 'string' && !ids.includes(id)) ids.push(id); };
    const walk = (v, depth) => {
      if (!v || typeof v !== 'object' || depth > 4) return;
      if (Array.isArray(v)) { for (const x of v.slice(0, 500)) walk(x, depth + 1); return; }
      if (typeof v.accelerator === 'string') add(v.accelerator);
      for (const k of ['utilization', 'utilisation', 'utilisation_by_accelerator']) {
        if (v[k] && typeof v[k] === 'object' && !Array.isArray(v[k])) Object.keys(v[k]).forEach(add);
      }
      if (Array.isArray(v.accelerators)) v.accelerators.forEach((x) => add(typeof x === 'string' ? x : x && x.id));
      for (const k of ['summary', 'timeline', 'purchases', 'rentals', 'utilization_detail', 'plan', 'simulation']) walk(v[k], depth + 1);
    };
    walk(r, 0);
    return ids;
  }
  function localColours(ids) {
    const m = new Map();
    const n = [0, 0, 0];
    for (const g of [0, 1, 2]) {
      for (const id of ids) {
        const d = isDomestic(id);
        const gi = d === false ? 0 : d === true ? 1 : 2;
        if (gi !== g) continue;
        const pal = g === 0 ? FOREIGN : g === 1 ? DOMESTIC : UNKNOWN;
        m.set(id, pal[n[g]++ % pal.length]);
      }
    }
    return m;
  }

  function renderRunResult(run, res, chartsBox, body, extra) {
    for (const c of $$('canvas', chartsBox)) { const ch = charts.get(c); if (ch) { ch.destroy(); charts.delete(c); } }
    chartsBox.replaceChildren();
    const r = res && res.result && typeof res.result === 'object' ? res.result : res;
    scopedColours = localColours(resultAccelerators(r));
    try {
      if (run.kind === 'simulate') renderSimulateResult(r, chartsBox, body, r, extra);
      else if (run.kind === 'plan') renderPlanResult(r, chartsBox, body, extra);
      else if (run.kind === 'report') renderReportResult(r, chartsBox, body, extra);
    } finally {
      scopedColours = null;
    }
    // Figures were added one by one: let every chart take its final size.
    for (const c of $$('canvas', chartsBox)) { const ch = charts.get(c); if (ch) ch.resize(); }
    extra.append(el('details.raw', null, el('summary', null, 'Raw result JSON'), el('pre', null, JSON.stringify(res, null, 2).slice(0, 200000))));
  }

  // Simulation: utilisation per type and domestic share over time, JCT.
  // The run result is {"kind", "summary": {simulate --json}, "timeline":
  // {"t_h": [..], "utilization": {id: [..]}, "domestic_share": [..]},
  // "jct_histogram": {"buckets": [{"from_h", "to_h", "count"}]}}; a list of
  // {"t_h", "utilisation": {id: x}, "domestic_share"} points works too.
  function simTimeline(src) {
    const out = { t: [], util: new Map(), share: [] };
    const tl = pick(src, 'timeline', 'series', 'time_series');
    if (!tl) return out;
    if (Array.isArray(tl) || Array.isArray(tl.points)) {
      const pts = listOf(tl, 'points');
      for (const p of pts) {
        const t = pick(p, 't_h', 'hours') ?? (isNum(pick(p, 't_s', 't')) ? pick(p, 't_s', 't') / 3600 : undefined);
        out.t.push(t);
        out.share.push(pick(p, 'domestic_share') ?? null);
        const u = pick(p, 'utilization', 'utilisation');
        if (u && typeof u === 'object') for (const [id, v] of Object.entries(u)) {
          if (!out.util.has(id)) out.util.set(id, new Array(out.t.length - 1).fill(null));
          out.util.get(id).push(v);
        }
        for (const arr of out.util.values()) while (arr.length < out.t.length) arr.push(null);
      }
      return out;
    }
    let t = pick(tl, 't_h', 'hours');
    if (!Array.isArray(t)) { const ts = pick(tl, 't_s', 't'); t = Array.isArray(ts) ? ts.map((x) => x / 3600) : []; }
    out.t = t;
    const u = pick(tl, 'utilization', 'utilisation');
    if (u && typeof u === 'object') for (const [id, v] of Object.entries(u)) if (Array.isArray(v)) out.util.set(id, v);
    const sh = pick(tl, 'domestic_share');
    out.share = Array.isArray(sh) ? sh : [];
    return out;
  }
  const pctAxis = { min: 0, max: 1, ticks: { callback: (v) => Math.round(v * 100) + '%' } };

  function renderSimulateResult(r, chartsBox, body, doc, extra) {
    doc = doc || r;
    const sim = r.summary && typeof r.summary === 'object' ? r.summary : r;
    const P = (...paths) => pick(sim, ...paths) ?? pick(doc, ...paths);
    const utilRows = utilisationRows(sim).length ? utilisationRows(sim) : utilisationRows(doc);
    const violations = P('policy_violations', 'audit.violations', 'audit_violations');
    body.append(el('div.cards', null,
      card('jobs', `${fmtInt(P('jobs_completed', 'finished'))} / ${fmtInt(P('jobs_submitted', 'jobs'))}`, `completed · failed ${fmtInt(P('jobs_failed'))} · unfinished ${fmtInt(P('jobs_unfinished', 'unfinished'))}`),
      card('JCT p50 / p95', `${fmtSec(P('jct_s.p50') ?? hoursToS(P('p50_jct_h', 'summary.p50_jct_h')))} / ${fmtSec(P('jct_s.p95') ?? hoursToS(P('p95_jct_h', 'summary.p95_jct_h')))}`, `mean ${fmtSec(P('jct_s.mean') ?? hoursToS(P('mean_jct_h', 'summary.mean_jct_h')))}`),
      card('queue wait p95', fmtSec(P('queue_s.p95') ?? hoursToS(P('queue_hours_p95'))), `mean ${fmtSec(P('queue_s.mean'))}`),
      card('domestic share', fmtPct(P('domestic_share.mean', 'domestic_share_mean', 'summary.domestic_share_mean')), `min ${fmtPct(P('domestic_share.min', 'summary.domestic_share_min'))}`),
      card('policy violations', fmtInt(violations), `audit: ${fmtInt(P('audit.lines'))} log lines checked`, (violations || 0) > 0 ? 'bad' : 'good'),
      card('cost', fmtUsd(P('cost_usd')), `makespan ${fmtSec(P('makespan_s'))} · ${text(P('end_reason'))}`),
      card('lost device-hours', fmtNum(P('lost_device_hours', 'summary.lost_device_hours')), `node failures ${fmtInt(P('node_failures'))} · restarts ${fmtInt(P('restarts'))}`)));

    const tl = simTimeline(doc);
    const domesticOf = new Map(utilRows.map((u) => [u.id, u.domestic]));
    const series = (ys) => tl.t.map((x, i) => ({ x, y: isNum(ys[i]) ? ys[i] : null })).filter((d) => isNum(d.x));
    if (tl.t.length > 0 && tl.util.size > 0) {
      chartsBox.append(chartBox('sim-utilisation', 'Utilisation by accelerator over time',
                                'Warm colours: Chinese domestic accelerators; cool colours: foreign.'));
      drawChart(canvasFor('sim-utilisation', chartsBox), {
        type: 'line',
        data: { datasets: [...tl.util.entries()].map(([id, ys]) => ({
          label: id, borderColor: colour(id, domesticOf.get(id)), backgroundColor: colour(id, domesticOf.get(id)),
          pointRadius: 0, borderWidth: 1.5, data: series(ys) })) },
        options: { parsing: false, normalized: true, interaction: { mode: 'nearest', intersect: false },
                   scales: { x: { type: 'linear', title: { display: true, text: 'hours' } }, y: pctAxis } },
      });
    } else {
      const util = utilRows;
      if (util.length) {
        chartsBox.append(chartBox('sim-utilisation', 'Utilisation by accelerator (whole run)'));
        drawChart(canvasFor('sim-utilisation', chartsBox), {
          type: 'bar',
          data: { labels: util.map((u) => u.id), datasets: [{ label: 'utilisation', data: util.map((u) => u.u), backgroundColor: util.map((u) => colour(u.id, u.domestic)) }] },
          options: { plugins: { legend: { display: false } }, scales: { y: pctAxis } },
        });
      }
    }
    const share = series(tl.share);
    if (share.some((d) => isNum(d.y))) {
      const min = P('domestic_share_min', 'audit.domestic_share_min_rule') ?? ruleMinShare(doc);
      const datasets = [{ label: 'domestic share', data: share, borderColor: '#d1495b', backgroundColor: rgba('#d1495b', 0.15),
                          fill: true, pointRadius: 0, borderWidth: 1.5, spanGaps: false }];
      if (isNum(min)) datasets.push({ label: 'rule minimum', data: [{ x: share[0].x, y: min }, { x: share[share.length - 1].x, y: min }],
                                      borderColor: '#1d2733', borderDash: [6, 4], pointRadius: 0, borderWidth: 1 });
      chartsBox.append(chartBox('sim-domestic', 'Domestic share of allocated compute over time',
                                'Gaps: nothing running. The share can dip below the rule when foreign work was placed while it held and domestic jobs then ended.'));
      drawChart(canvasFor('sim-domestic', chartsBox), {
        type: 'line', data: { datasets },
        options: { parsing: false, normalized: true, scales: { x: { type: 'linear', title: { display: true, text: 'hours' } }, y: pctAxis } },
      });
    }
    // JCT distribution: the server's histogram, else per-job hours, else percentiles.
    const hist = pick(doc, 'jct_histogram');
    const buckets = listOf(hist, 'buckets');
    let labels = [], counts = [], title = '';
    if (buckets.length) {
      const unit = pick(hist, 'unit') || 'h';
      const f = (x) => (isNum(x) ? (x === 0 ? '0' : x >= 100 ? Math.round(x).toString() : x >= 1 ? x.toPrecision(3).replace(/\.?0+$/, '') : x.toPrecision(2)) : '?');
      labels = buckets.map((b) => `${f(pick(b, 'from_h', 'from'))}–${f(pick(b, 'to_h', 'to'))}`);
      counts = buckets.map((b) => pick(b, 'count') ?? 0);
      title = `Job completion time distribution (${fmtInt(pick(hist, 'count') ?? counts.reduce((a, b) => a + b, 0))} jobs, ${unit})`;
    } else {
      let jct = pick(doc, 'jct_hours', 'jct_h');
      if (Array.isArray(jct) && jct.length) {
        const h = histogram(jct.filter(isNum));
        labels = h.labels; counts = h.counts;
        title = `Job completion time distribution (${jct.length} jobs, h)`;
      }
    }
    if (labels.length) {
      chartsBox.append(chartBox('sim-jct', title));
      drawChart(canvasFor('sim-jct', chartsBox), {
        type: 'bar', data: { labels, datasets: [{ label: 'jobs', data: counts, backgroundColor: '#1f5fa8' }] },
        options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'job completion time (hours)' } }, y: { title: { display: true, text: 'jobs' } } } },
      });
    } else {
      const pcts = ['mean', 'p50', 'p95', 'p99'].map((k) => [k, P('jct_s.' + k)]).filter(([, v]) => isNum(v));
      if (pcts.length) {
        chartsBox.append(chartBox('sim-jct', 'Job completion time (hours)'));
        drawChart(canvasFor('sim-jct', chartsBox), {
          type: 'bar', data: { labels: pcts.map(([k]) => k), datasets: [{ label: 'JCT (h)', data: pcts.map(([, v]) => v / 3600), backgroundColor: '#1f5fa8' }] },
          options: { plugins: { legend: { display: false } } },
        });
      }
    }
    if (utilRows.length) {
      const util = utilRows;
      extra.append(el('h3', null, 'Utilisation by accelerator (whole run)'), table([
        { label: 'accelerator', render: (u) => el('span', null, el('span.swatch', { style: { background: colour(u.id, u.domestic) } }), ' ', u.id) },
        { label: 'origin', render: (u) => originTag(u.id, u.domestic) },
        { label: 'utilisation', num: true, render: (u) => fmtPct(u.u) },
        { label: 'device-hours used', num: true, render: (u) => fmtNum(u.hours) },
        { label: 'device-hours up', num: true, render: (u) => fmtNum(u.up) },
      ], util));
    }
  }
  function ruleMinShare(doc) {
    const rules = listOf(pick(doc, 'rules', 'summary.rules'));
    const r = rules.find((x) => x && x.kind === 'domestic-share');
    return r ? pick(r, 'min_share') : undefined;
  }
  const hoursToS = (h) => (isNum(h) ? h * 3600 : undefined);
  function utilisationRows(sim) {
    const det = listOf(pick(sim, 'utilization_detail', 'utilisation_detail'));
    if (det.length) return det.map((d) => ({ id: d.accelerator, u: pick(d, 'utilization', 'utilisation'), domestic: d.domestic, hours: d.device_hours, up: d.up_device_hours }));
    const m = pick(sim, 'utilization', 'utilisation', 'utilisation_by_accelerator');
    if (m && typeof m === 'object' && !Array.isArray(m)) return Object.entries(m).map(([id, u]) => ({ id, u }));
    return [];
  }
  function histogram(values) {
    const pos = values.filter((v) => v > 0);
    if (pos.length === 0) return { labels: ['0'], counts: [values.length] };
    const lo = Math.log10(Math.min(...pos)), hi = Math.log10(Math.max(...pos));
    const start = Math.floor(lo * 2) / 2, end = Math.ceil(hi * 2) / 2 || start + 0.5;
    const n = Math.max(1, Math.round((end - start) / 0.5));
    const counts = new Array(n).fill(0);
    for (const v of pos) counts[Math.min(n - 1, Math.max(0, Math.floor((Math.log10(v) - start) / 0.5)))]++;
    counts[0] += values.length - pos.length;
    const fmt = (x) => (x === 0 ? '0' : x >= 100 ? Math.round(x).toString() : x >= 1 ? x.toPrecision(2) : x.toPrecision(1));
    const labels = counts.map((_, i) => `${fmt(10 ** (start + i * 0.5))}–${fmt(10 ** (start + (i + 1) * 0.5))}`);
    return { labels, counts };
  }

  // Plan: purchase mix per type and year, cost breakdown.
  function renderPlanResult(r, chartsBox, body, extra) {
    const plan = r.plan && typeof r.plan === 'object' ? r.plan : r;
    body.append(el('div.cards', null,
      card('status', text(plan.status), `gap ${fmtPct(pick(plan, 'gap'), 2)}`, plan.status === 'optimal' ? 'good' : plan.status === 'infeasible' ? 'bad' : ''),
      card('discounted cost', fmtUsd(pick(plan, 'objective_usd')), isNum(pick(plan, 'solve_time_s')) ? `solved in ${fmtSec(pick(plan, 'solve_time_s'))}` : 'objective over the plan years'),
      card('domestic share', fmtPct(pick(plan, 'domestic_share')), `rule ≥ ${fmtPct(pick(plan, 'domestic_share_min'), 0)}`),
      card('binding constraints', fmtInt(listOf(pick(plan, 'binding_constraints')).length), listOf(pick(plan, 'binding_constraints')).map((b) => b.name).slice(0, 3).join(', '))));
    const purchases = listOf(pick(plan, 'purchases'));
    const rentals = listOf(pick(plan, 'rentals'));
    const years = [...new Set([...purchases, ...rentals].map((p) => p.year).filter((y) => y !== undefined))].sort((a, b) => a - b);
    const types = [...new Set([...purchases, ...rentals].map((p) => p.accelerator))];
    if (years.length && types.length) {
      const datasets = [];
      for (const id of types) {
        const sum = (list) => years.map((y) => list.filter((p) => p.accelerator === id && p.year === y).reduce((a, p) => a + (pick(p, 'devices') || 0), 0));
        const bought = sum(purchases);
        if (bought.some((x) => x > 0)) datasets.push({ label: id, data: bought, backgroundColor: colour(id, originDomestic(pick(purchases.find((p) => p.accelerator === id) || {}, 'origin'))), stack: 'devices' });
        const rented = sum(rentals);
        if (rented.some((x) => x > 0)) datasets.push({ label: id + ' (rented)', data: rented, backgroundColor: rgba(colour(id), 0.35), borderColor: colour(id), borderWidth: 1, stack: 'devices' });
      }
      chartsBox.append(chartBox('plan-mix', 'Devices bought (and rented) per type and year',
                                'Warm colours: Chinese domestic accelerators; cool colours: foreign.'));
      drawChart(canvasFor('plan-mix', chartsBox), {
        type: 'bar', data: { labels: years.map((y) => 'year ' + y), datasets },
        options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'devices' } } } },
      });
    }
    const cost = pick(plan, 'cost');
    if (cost && typeof cost === 'object') {
      const entries = Object.entries(cost).filter(([k, v]) => k.endsWith('_usd') && isNum(v) && v > 0);
      if (entries.length) {
        const pal = ['#1f5fa8', '#d1495b', '#e9c46a', '#2a9d8f', '#6a4c93', '#e67e22'];
        chartsBox.append(chartBox('plan-cost', 'Cost breakdown (discounted USD)'));
        drawChart(canvasFor('plan-cost', chartsBox), {
          type: 'bar',
          data: { labels: entries.map(([k]) => k.replace(/_usd$/, '').replace(/_/g, ' ')),
                  datasets: [{ label: 'USD', data: entries.map(([, v]) => v), backgroundColor: entries.map((_, i) => pal[i % pal.length]) }] },
          options: { plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => fmtUsd(c.parsed.y) } } },
                     scales: { y: { ticks: { callback: (v) => fmtUsd(v) } } } },
        });
      }
    }
    purchases.sort((x, y) => (x.year - y.year) || String(x.site).localeCompare(String(y.site)) || String(x.accelerator).localeCompare(String(y.accelerator)));
    if (purchases.length) {
      extra.append(el('h3', null, 'Purchases'), table([
        { label: 'year', render: (p) => p.year },
        { label: 'site', render: (p) => p.site },
        { label: 'accelerator', render: (p) => el('span', null, p.accelerator, listOf(p.unverified).length ? el('span.unv', { title: 'unverified: ' + p.unverified.join(', ') }, ' *') : '') },
        { label: 'origin', render: (p) => originTag(p.accelerator, originDomestic(p.origin)) },
        { label: 'nodes', num: true, render: (p) => fmtInt(p.nodes) },
        { label: 'devices', num: true, render: (p) => fmtInt(p.devices) },
      ], purchases));
    }
    const binding = listOf(pick(plan, 'binding_constraints'));
    if (binding.length) {
      extra.append(el('h3', null, 'Binding constraints'), table([
        { label: 'constraint', render: (c) => c.name },
        { label: 'detail', render: (c) => c.detail },
        { label: 'limit', num: true, render: (c) => `${fmtNum(c.limit)} ${c.unit || ''}` },
        { label: 'marginal $ / unit', num: true, render: (c) => fmtUsd(c.marginal_usd_per_unit) },
      ], binding));
    }
    const policies = listOf(pick(plan, 'policy_costs'));
    if (policies.length) {
      extra.append(el('h3', null, 'Price of each policy (re-solved without it)'), table([
        { label: 'policy', render: (c) => c.policy },
        { label: 'detail', render: (c) => c.detail },
        { label: 'without it', render: (c) => c.status_without },
        { label: 'added cost', num: true, render: (c) => fmtUsd(c.delta_usd) },
        { label: '%', num: true, render: (c) => (isNum(c.delta_pct) ? c.delta_pct.toFixed(2) + ' %' : DASH) },
      ], policies));
    }
    const conflicts = listOf(pick(plan, 'conflicts'));
    if (conflicts.length) body.append(el('div.error-box', null, 'conflicting constraints: ' + conflicts.map((c) => c.detail || c.name || JSON.stringify(c)).join('; ')));
  }
  const originDomestic = (o) => (o ? ['cn', 'china', 'domestic'].includes(String(o).toLowerCase()) : undefined);

  function renderReportResult(r, chartsBox, body, extra) {
    const plan = r && (r.plan || (r.purchases ? r : null));
    if (plan) renderPlanResult(plan, chartsBox, body, extra);
    const sim = r && r.simulation;
    if (sim && typeof sim === 'object') renderSimulateResult(sim, chartsBox, body, sim, extra);
  }

  const OPTION_HINTS = {
    simulate: 'Options: seed (integer), placement (first-fit, best-fit, dotprod, gpu-packing, gpu-clustering, random, fgd, hetero), queue (fifo, priority, sjf, fair-share), until_hours — e.g. {"until_hours": 240, "placement": "fgd"}. Needs a simulate scenario.',
    plan: 'Options: set ["key=value", …], sweep ["key=v1,v2", …], time_limit_s, gap — e.g. {"set": ["policy.domestic_share_min=0.7"]}. Needs a plan scenario.',
    report: 'Options: set, sweep, time_limit_s, gap, simulate (true/false), year — e.g. {"simulate": false}. Needs a plan scenario; the finished run links to its HTML report.',
  };
  function syncRunHint() {
    $('#run-options-hint').textContent = OPTION_HINTS[$('#run-form [name="kind"]').value] || '';
  }
  function initRuns() {
    $('#run-form').addEventListener('submit', (ev) => { ev.preventDefault(); startRun(); });
    $('#run-form [name="kind"]').addEventListener('change', syncRunHint);
    syncRunHint();
    $('#run-scenario').addEventListener('change', (ev) => {
      const opt = ev.target.selectedOptions[0];
      if (opt && opt.dataset.kind) {
        const kind = $('#run-form [name="kind"]');
        if (opt.dataset.kind === 'plan' && kind.value === 'simulate') kind.value = 'plan';
        if (opt.dataset.kind === 'simulate') kind.value = 'simulate';
        syncRunHint();
      }
    });
  }

  // ---------------------------------------------------------- 5. live fleet
  // GET /fleet: {"configured", "scenario", "types": [{"accelerator", "origin",
  // "domestic", "devices_total", "devices_up", "devices_allocated"}], "nodes",
  // "nodes_up", "jobs", "running", "queued", "domestic_share", "rules", …};
  // /fleet/queue: {"queued": [job]}; /fleet/audit: {"decisions": [{"seq",
  // "event_seq", "decision": {event-log line}}]}. Queue and audit answer 409
  // until the fleet has a config.
  let fleetTimer = null;
  let fleetSeq = 0;
  async function loadFleet() {
    clearTimeout(fleetTimer);
    fleetTimer = null;
    const seq = ++fleetSeq;
    const errBox = $('#fleet-error');
    const soft = (p) => api('GET', p).catch((e) => ({ __error: e }));
    // Queue and audit only once the fleet has a config (they answer 409 before).
    const fleet = await soft('/fleet');
    const ready = fleet && !fleet.__error && fleet.configured !== false;
    const [queue, audit] = ready ? await Promise.all([soft('/fleet/queue'), soft('/fleet/audit?limit=50')]) : [null, null];
    if (seq !== fleetSeq) return;
    const hard = [fleet, queue, audit].map((x) => x && x.__error).find(Boolean);
    if (hard) showError(errBox, hard); else clearError(errBox);
    if (fleet && !fleet.__error) renderFleet(fleet);
    renderQueue(queue && !queue.__error ? queue : null, fleet);
    renderAudit(audit && !audit.__error ? audit : null, fleet);
    $('#fleet-updated').textContent = '· updated ' + new Date().toLocaleTimeString();
    if (state.tab === 'fleet') fleetTimer = setTimeout(loadFleet, 3000);
  }
  function fleetTypes(f) {
    let types = pick(f, 'types', 'by_type', 'accelerators');
    if (types && !Array.isArray(types) && typeof types === 'object') types = Object.entries(types).map(([id, v]) => Object.assign({ accelerator: id }, v));
    return listOf(types).map((t) => {
      const total = pick(t, 'devices_total', 'devices', 'total');
      const up = pick(t, 'devices_up', 'up');
      const busy = pick(t, 'devices_allocated', 'allocated_devices', 'busy_devices', 'busy');
      const down = isNum(total) && isNum(up) ? Math.max(0, total - up) : pick(t, 'devices_down', 'down');
      const free = isNum(up) && isNum(busy) ? Math.max(0, up - busy) : pick(t, 'devices_free', 'free');
      return { id: pick(t, 'accelerator', 'id', 'type'), origin: t.origin, devices: total, up, busy, free, down,
               domestic: typeof t.domestic === 'boolean' ? t.domestic : originDomestic(t.origin) };
    });
  }
  function renderFleet(f) {
    const configured = f.configured !== false;
    const types = fleetTypes(f);
    for (const t of types) colour(t.id, t.domestic);
    const sum = (k) => types.reduce((a, t) => a + (isNum(t[k]) ? t[k] : 0), 0);
    const share = pick(f, 'domestic_share');
    const shareRule = listOf(pick(f, 'rules')).find((r) => r.kind === 'domestic-share');
    $('#fleet-cards').replaceChildren(...(configured ? [
      card('scenario', text(pick(f, 'scenario')), `${text(pick(f, 'scheduler.queue'))} queue · ${text(pick(f, 'scheduler.placement'))} placement`),
      card('accelerator types', fmtInt(types.length), `${fmtInt(pick(f, 'nodes'))} nodes (${fmtInt(pick(f, 'nodes_up'))} up)`),
      card('devices', fmtInt(sum('devices')), `${fmtInt(sum('busy'))} allocated · ${fmtInt(sum('down'))} down`),
      card('domestic share', fmtPct(isNum(share) ? share : undefined), shareRule ? `rule ${shareRule.id}: ≥ ${fmtPct(shareRule.min_share, 0)} of ${shareRule.measure || 'compute'}` : 'of allocated compute',
           isNum(share) && shareRule && share < shareRule.min_share ? 'bad' : ''),
      card('jobs', fmtInt(pick(f, 'jobs')), `${fmtInt(pick(f, 'running'))} running · ${fmtInt(pick(f, 'queued'))} queued`),
      card('events', fmtInt(pick(f, 'events')), `last seq ${text(pick(f, 'last_seq'))} · t = ${fmtSec(pick(f, 'now_t'))}`),
    ] : [card('fleet', 'not configured', 'PUT /api/v1/fleet/config with a fleet scenario, then report nodes and jobs'),
         card('events', fmtInt(pick(f, 'events')), '')]));
    const ids = types.map((t) => t.id);
    const col = (t) => colour(t.id, t.domestic);
    drawChart(canvasFor('fleet-types'), {
      type: 'bar',
      data: {
        labels: ids.length ? ids : ['(no fleet)'],
        datasets: [
          { label: 'allocated', data: ids.length ? types.map((t) => t.busy || 0) : [0], backgroundColor: types.map(col), stack: 'd' },
          { label: 'free', data: ids.length ? types.map((t) => t.free || 0) : [0], backgroundColor: types.map((t) => rgba(col(t), 0.25)),
            borderColor: types.map(col), borderWidth: 1, stack: 'd' },
          { label: 'down', data: ids.length ? types.map((t) => t.down || 0) : [0], backgroundColor: '#9aa3ad', stack: 'd' },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'devices' } } } },
    });
    const rules = listOf(pick(f, 'rules'));
    $('#fleet-types-table').replaceChildren(
      table([
        { label: 'accelerator', render: (t) => el('span', null, el('span.swatch', { style: { background: col(t) } }), ' ', t.id) },
        { label: 'origin', render: (t) => originTag(t.id, t.domestic) },
        { label: 'devices', num: true, render: (t) => fmtInt(t.devices) },
        { label: 'up', num: true, render: (t) => fmtInt(t.up) },
        { label: 'allocated', num: true, render: (t) => fmtNum(t.busy) },
        { label: 'free', num: true, render: (t) => fmtNum(t.free) },
      ], types, { empty: configured ? 'no nodes yet' : 'no fleet config' }),
      rules.length ? el('h3', null, 'Rules') : '',
      rules.length ? table([
        { label: 'rule', render: (r) => r.id },
        { label: 'kind', render: (r) => r.kind },
        { label: 'applies to', render: (r) => r.accelerator || (Array.isArray(r.tenants) ? r.tenants.join(', ') : '') || (Array.isArray(r.origins) ? 'origins ' + r.origins.join(', ') : '') },
        { label: 'detail', render: (r) => (isNum(r.min_share) ? `≥ ${fmtPct(r.min_share, 0)} (${r.measure || 'compute'})` : r.min_sensitivity ? `${r.min_sensitivity} and above` : '') },
        { label: 'state', render: (r) => r.state },
      ], rules) : '');
  }
  const joinList = (v) => (Array.isArray(v) ? v.join(', ') : v);
  function renderQueue(q, f) {
    const jobs = listOf(q, 'queued', 'queue', 'jobs');
    $('#fleet-queue').replaceChildren(table([
      { label: 'job', num: true, render: (j) => pick(j, 'id', 'job') },
      { label: 'name', render: (j) => pick(j, 'name') },
      { label: 'tenant', render: (j) => pick(j, 'tenant') },
      { label: 'priority', num: true, render: (j) => pick(j, 'priority') },
      { label: 'sensitivity', render: (j) => pick(j, 'sensitivity') },
      { label: 'devices', num: true, render: (j) => fmtInt(pick(j, 'devices')) },
      { label: 'submitted', num: true, render: (j) => fmtSec(pick(j, 'submitted_t')) },
      { label: 'why waiting (rule)', render: (j) => {
        const refusals = listOf(pick(j, 'refusals'));
        const head = [pick(j, 'reason'), pick(j, 'rule') ? `[${pick(j, 'rule')}]` : ''].filter(Boolean).join(' ');
        return el('span', null, head || (refusals.length ? '' : DASH),
                  ...(pick(j, 'reason') ? [] : refusals).map((r) => el('div.small.muted', null, `${r.accelerator || r.type}: ${r.rule || ''}${r.detail ? ' — ' + r.detail : ''}`)));
      } },
    ], jobs, { empty: f && f.configured === false ? 'no fleet config' : 'queue empty' }));
  }
  function renderAudit(a, f) {
    const rows = listOf(a, 'decisions', 'audit', 'items').slice().sort((x, y) => (y.seq || 0) - (x.seq || 0));
    const d = (row) => (row.decision && typeof row.decision === 'object' ? row.decision : row);
    $('#fleet-audit').replaceChildren(table([
      { label: 'seq', num: true, render: (r) => r.seq },
      { label: 'event', num: true, render: (r) => r.event_seq },
      { label: 't', num: true, render: (r) => fmtSec(pick(d(r), 't')) },
      { label: 'decision', render: (r) => el('span.tag', null, text(pick(d(r), 'event', 'kind', 'action'))) },
      { label: 'job', render: (r) => { const x = d(r); return x.job_name ? `${x.job_name} (#${x.job})` : pick(x, 'job'); } },
      { label: 'where', render: (r) => { const x = d(r); return [x.accelerator, joinList(x.nodes)].filter(Boolean).join(' on ') || (isNum(x.node) ? 'node ' + x.node : DASH); } },
      { label: 'rule', render: (r) => {
        const x = d(r);
        const refusals = listOf(x.refusals);
        return el('span', null, x.rule ? el('code', null, x.rule) : refusals.length ? '' : DASH,
                  x.detail ? ' ' + x.detail : '', x.reason ? ' ' + x.reason : '',
                  Array.isArray(x.checked) && x.checked.length ? el('div.small.muted', null, 'checked: ' + x.checked.join(', ')) : '',
                  ...refusals.map((y) => el('div.small.muted', null, `${y.accelerator || 'type ' + y.type}: ${y.rule || ''}${y.detail ? ' — ' + y.detail : ''}`)));
      } },
    ], rows, { empty: f && f.configured === false ? 'no fleet config' : 'no decisions yet' }));
  }

  // ------------------------------------------------------------------ start
  function init() {
    initToken();
    initEstimate();
    initScenarios();
    initRuns();
    window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
    showTab(location.hash.slice(1) || 'catalog');
    loadHealth();
    setInterval(loadHealth, 15000);
    loadCatalog();
    loadScenarios();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
