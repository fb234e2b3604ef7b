// suanli dashboard: plain JavaScript over the JSON API under /api/v1.
// No build step, no framework, no external URL: Chart.js comes from the
// binary as /chart.js (global `Chart`). Every chart canvas carries
// data-chart="<name>" and gets data-rendered="true" once drawn.
// Responses are read defensively: a missing figure shows as "—".
// Every word the dashboard itself shows goes through t() / tf() / tn()
// (translated by GET /api/v1/i18n/{lang}); data from the server (IDs, names,
// TOML, the server's own messages) is shown untranslated in elements with
// translate="no" (raw()).
'use strict';

(() => {
  const API = '/api/v1';
  const TOKEN_KEY = 'suanli.token';
  const LANG_KEY = 'suanli.lang';
  const LANGS = { en: 'en', zh: 'zh-CN' };  // dashboard language → <html lang>
  const DASH = '—';

  // ------------------------------------------------------------------ i18n
  // Keys are the exact English text; named placeholders {like_this} are
  // filled after translation. A missing entry shows the English.
  const i18n = { lang: 'en', messages: {}, failed: false };
  function t(english) {
    const m = i18n.messages[english];
    return typeof m === 'string' && m !== '' ? m : english;
  }
  function tf(english, vars = {}) {
    return t(english).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  }
  // tf whose values may be nodes: an array of strings and nodes for el().
  function tn(english, vars = {}) {
    return t(english).split(/\{(\w+)\}/).map((part, i) => (i % 2 === 0 ? part : (part in vars ? vars[part] : `{${part}}`)))
      .flat().filter((x) => x !== '' && x !== null && x !== undefined);
  }
  // An enum value the API sends (run status, kind, rule state…): shown
  // translated, while the value itself stays English in the API calls.
  const tEnum = (v) => (v === undefined || v === null || v === '' ? DASH : t(String(v)));

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
    if (a < 7200) return tf('{n} min', { n: (v / 60).toPrecision(3) });
    if (a < 172800) return (v / 3600).toPrecision(3) + ' h';
    return tf('{n} d', { n: (v / 86400).toPrecision(3) });
  }
  const fmtDays = (d) => (isNum(d) ? tf('{n} d', { n: d.toFixed(1) }) : DASH);
  const fmtGb = (v) => (isNum(v) ? v.toFixed(v >= 100 ? 0 : 1) + ' GB' : DASH);
  function fmtTime(s) {
    if (!s) return DASH;
    const d = typeof s === 'number' ? new Date(s * 1000) : new Date(s);
    if (Number.isNaN(d.getTime())) return String(s);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }
  const text = (v) => (v === undefined || v === null || v === '' ? DASH : String(v));
  // Data shown as it is (IDs, names, the server's own messages): never translated.
  const raw = (v) => el('span', { translate: 'no' }, text(v));

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
      setHealth(null, t('server unreachable'));
      const err = new ApiError(0, '', e.message);
      err.lead = t('cannot reach the server');
      throw err;
    }
    let data = null;
    const answer = await res.text();
    if (answer) {
      try { data = JSON.parse(answer); } catch { data = { text: answer }; }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const err = new ApiError(res.status, e.code || 'http_' + res.status,
                               e.message || res.statusText || t('request failed'), e.field);
      err.local = !e.message && !res.statusText;
      if (res.status === 401 || res.status === 403) showAuthProblem(err, method, path);
      throw err;
    }
    if (method !== 'GET') hideAuthProblem();
    return data;
  }

  function showAuthProblem(err, method, path) {
    const banner = $('#auth-banner');
    const what = err.status === 401 ? t('401 Unauthorized') : t('403 Forbidden');
    const hint = err.status === 401
      ? (state.token ? t('the token was not accepted — check it in the header bar')
                     : tn('enter a token in the header bar ({command})', { command: el('code', null, 'suanli token create NAME') }))
      : t('this token may not do that (read-only or revoked)');
    banner.replaceChildren(...tn('{what} on {request}: {message} — {hint}.',
      { what, request: el('code', null, `${method} ${API}${path}`), message: raw(err.message), hint }));
    banner.hidden = false;
    const st = $('#token-state');
    st.textContent = err.status === 401 ? t('not accepted') : t('forbidden');
    st.className = 'token-state bad';
  }
  function hideAuthProblem() {
    $('#auth-banner').hidden = true;
    const st = $('#token-state');
    if (st.classList.contains('bad')) {
      st.className = 'token-state';
      st.textContent = state.token ? t('token set') : t('no token');
    }
  }

  // An error as nodes: [status code: ] [lead: ] message [(field: …)]. The
  // dashboard's own messages (err.local) are translated already; the
  // server's text, code and field are shown as they are.
  function errorNodes(err, lead) {
    const msg = err.local ? err.message : raw(err.message || String(err));
    const code = err.code ? el('span.code', { translate: 'no' }, `${err.status || ''} ${err.code}`.trim() + ': ') : '';
    lead = lead || err.lead;
    return [code, ...(lead ? tn('{what}: {message}', { what: lead, message: msg }) : [msg]),
            err.field ? el('span.code', null, '  ', ...tn('(field: {field})', { field: raw(err.field) })) : ''];
  }
  // The dashboard's own error message (already translated).
  const localError = (message, field) => ({ message, field, local: true });

  // An error next to a form; highlights the input the API's `field` names.
  function showError(box, err, form) {
    clearError(box, form);
    if (!err) return;
    box.replaceChildren(...errorNodes(err));
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
      canvas.parentElement.replaceChildren(el('p.muted', null, t('charting library not loaded')));
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
  // A catalog China status ("case-by-case", "available (confirmed 2025-06)"), translated.
  function chinaStatus(s) {
    const m = String(s).match(/^(\S+) \(confirmed (.+)\)$/);
    return m ? tf('{status} (confirmed {date})', { status: t(m[1]), date: m[2] }) : t(String(s));
  }
  const originTag = (id, hint) => {
    const d = isDomestic(id, hint);
    return d === undefined ? el('span.tag', null, '?')
      : el('span.tag.' + (d ? 'domestic' : 'foreign'), null, d ? t('domestic') : t('foreign'));
  };

  function table(columns, rows, opts = {}) {
    const tbl = el('table.table');
    tbl.append(el('thead', null, el('tr', null, columns.map((c) => el('th' + (c.num ? '.num' : ''), null, c.label)))));
    const tb = el('tbody');
    if (rows.length === 0) {
      tb.append(el('tr', null, el('td.muted', { colspan: columns.length }, opts.empty || t('nothing yet'))));
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
    tbl.append(tb);
    return tbl;
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
      box.replaceChildren(...(problem ? [problem].flat() : [t('server unreachable')]));
      return;
    }
    state.health = h;
    box.className = 'health ok';
    const parts = [[raw('v' + text(h.version))], tn('store: {store}', { store: raw(pick(h, 'store', 'store_backend', 'backend')) })];
    if (h.schema_version !== undefined) parts.push(tn('schema {n}', { n: h.schema_version }));
    if (h.read_requires_token) parts.push([t('reads need a token')]);
    box.replaceChildren(...parts.flatMap((p, i) => (i ? [' · ', ...p] : p)));
  }
  async function loadHealth() {
    try {
      setHealth(await api('GET', '/health'));
    } catch (e) {
      setHealth(null, e.status ? tn('health: {status} {message}', { status: e.status, message: raw(e.message) }) : t('server unreachable'));
    }
  }

  function initToken() {
    const input = $('#token-input');
    input.value = state.token;
    const st = $('#token-state');
    st.textContent = state.token ? t('token set') : t('no token');
    $('#token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      state.token = input.value.trim();
      if (state.token) localStorage.setItem(TOKEN_KEY, state.token);
      else localStorage.removeItem(TOKEN_KEY);
      st.className = 'token-state';
      st.textContent = state.token ? t('token saved') : t('no token');
      $('#auth-banner').hidden = true;
      // A server with --read-requires-token answered nothing before (the
      // language's messages included: start again with the token).
      if (i18n.failed && state.token) { location.reload(); return; }
      if (!state.health) loadHealth();
      if (state.accelerators.length === 0) loadCatalog();
      refreshCurrent();
    });
    $('#token-clear').addEventListener('click', () => {
      input.value = '';
      state.token = '';
      localStorage.removeItem(TOKEN_KEY);
      st.className = 'token-state';
      st.textContent = t('no token');
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
      chipBox.replaceChildren(el('span.error-box', null, ...errorNodes(e, t('catalog'))));
      return;
    }
    state.accelById = new Map(state.accelerators.map((a) => [a.id, a]));
    // Colours: foreign first, then domestic, in catalog order.
    for (const a of state.accelerators) if (isDomestic(a.id) === false) colour(a.id);
    for (const a of state.accelerators) colour(a.id);

    // Model and accelerator selects of every form.
    for (const sel of $$('select.model-select')) {
      sel.replaceChildren(...state.models.map((m) => el('option', { value: m.id, translate: 'no' }, modelLabel(m))));
      const pref = state.models.find((m) => m.id === 'llama3-70b') || state.models[0];
      if (pref) sel.value = pref.id;
    }
    for (const sel of $$('select.accel-select')) {
      sel.replaceChildren(...state.accelerators.map((a) => el('option', { value: a.id, translate: 'no' }, `${a.name || a.id} (${a.id})`)));
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
          title: a.china_status ? tf('China status: {status}', { status: chinaStatus(a.china_status) }) : undefined },
        el('span.dot', { style: { background: colour(a.id) } }),
        el('span', { translate: 'no', title: [a.name, a.origin].filter(Boolean).join(' · ') }, a.id),
        el('span.origin', null, idx === 0 ? ' ' + t('baseline') : a.origin ? [' ', raw(a.origin)] : ''));
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
      [t('foreign'), state.accelerators.filter((a) => isDomestic(a.id) === false)],
      [t('domestic (CN)'), state.accelerators.filter((a) => isDomestic(a.id) === true)],
      [t('origin unknown'), state.accelerators.filter((a) => isDomestic(a.id) === undefined)],
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
      showError(box, localError(t('choose at least one accelerator (click the chips)')));
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
      const v = pick(r, 'tpp', 'classification.tpp') ?? pick(a, 'tpp', 'classification.tpp');
      const cls = pick(r, 'eccn_class', 'classification.eccn_class') ?? pick(a, 'eccn_class', 'classification.eccn_class');
      tpp.set(id, { tpp: figure(v), eccn: cls, unverified: pick(r, 'tpp_unverified') ?? pick(a, 'tpp_unverified') });
    }
    const missing = [...tpp.entries()].filter(([, v]) => !isNum(v.tpp)).map(([id]) => id);
    if (missing.length) {
      try {
        const cl = listOf(await api('POST', '/classify', { accelerators: missing }), 'results', 'classifications', 'accelerators', 'rows');
        for (const c of cl) {
          const e = tpp.get(c.id || c.accelerator) || {};
          e.tpp = figure(c.tpp); e.eccn = e.eccn || c.eccn_class; e.unverified = c.tpp_unverified;
          tpp.set(c.id || c.accelerator, e);
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
    const unit = mode === 'infer' ? tf('output tokens per {symbol}', { symbol: money.symbol })
                                  : tf('training tokens per {symbol}', { symbol: money.symbol });
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
                     return u.length ? tf('unverified: {inputs}', { inputs: u.join(', ') }) : '';
                   } } } },
        scales: { x: { title: { display: true, text: unit }, ticks: { callback: (v) => fmtNum(v) } } },
      },
    });
    const tppRows = ids.filter((id) => isNum(tpp.get(id)?.tpp));
    drawChart(canvasFor('compare-tpp'), {
      type: 'bar',
      data: {
        labels: tppRows.map((id) => `${id} (${tpp.get(id).eccn ? eccnLabel(tpp.get(id).eccn) : '?'})${tpp.get(id).unverified ? ' *' : ''}`),
        datasets: [{ label: 'TPP', data: tppRows.map((id) => tpp.get(id).tpp),
                     backgroundColor: tppRows.map((id) => colour(id)) }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: t('Total Processing Performance (3A090.a at ≥ 4,800)') } } },
      },
    });

    const wrap = $('#compare-table');
    wrap.replaceChildren(table(compareColumns(mode, money, unit, tpp, perMoney), rows, { empty: t('no rows') }),
      el('p.hint', null, ...tn('Baseline: {baseline}.', { baseline: raw(pick(res, 'baseline')) }), ' ', raw(pick(res, 'cost_assumptions')), '. ',
         money.code === 'CNY' ? [...tn('Amounts in CNY at {rate} per USD ({file}).', { rate: money.rate, file: el('code', null, 'data/economics.toml') }), ' '] : '',
         el('span.unv', null, '*'), ' ', t('marks figures resting on unverified (estimated) catalog inputs; hover for the list.')));
  }
  // An ECCN class: the codes as they are, the words translated.
  const eccnLabel = (c) => (/^3A090/.test(String(c)) ? String(c) : t(String(c)));
  // The star's tooltip lists the catalog's unverified inputs (data; the
  // hint under the table says what the star means).
  const unverifiedMark = (list) => el('span.unv', { title: list.join(', '), translate: 'no' }, ' *');
  const accelCell = (id, colourOf) => el('span', null, el('span.swatch', { style: { background: colourOf } }), ' ', raw(id));
  function compareColumns(mode, money, unit, tpp, perMoney) {
    const id = (r) => r.accelerator || r.id;
    return [
      { label: t('accelerator'), render: (r) => el('span', null, accelCell(id(r), colour(id(r))), unverifiedOf(r).length ? unverifiedMark(unverifiedOf(r)) : '') },
      { label: t('origin'), render: (r) => originTag(id(r), pick(r, 'domestic')) },
      { label: 'ECCN', render: (r) => { const c = tpp.get(id(r))?.eccn ?? pick(r, 'eccn_class'); return c ? eccnLabel(c) : DASH; } },
      { label: 'TPP', num: true, render: (r) => fmtInt(tpp.get(id(r))?.tpp) },
      { label: t('China status'), render: (r) => (pick(r, 'china_status') ? chinaStatus(pick(r, 'china_status')) : DASH) },
      { label: t('devices'), num: true, render: (r) => fmtInt(pick(r, 'devices')) },
      mode === 'infer'
        ? { label: t('output tok/s'), num: true, render: (r) => fmtNum(pick(r, 'output_tokens_per_s')) }
        : { label: t('tokens/s'), num: true, render: (r) => fmtNum(pick(r, 'tokens_per_s')) },
      mode === 'infer'
        ? { label: tf('{symbol} / M output tok', { symbol: money.symbol }), num: true, render: (r) => fmtUsd(pick(r, 'cost_per_million_output_tokens_usd'), money) }
        : { label: t('time to train'), num: true, render: (r) => fmtDays(pick(r, 'time_to_train_days')) },
      { label: unit, num: true, render: (r) => fmtNum(perMoney(r)) },
      { label: t('rel. speed'), num: true, render: (r) => fmtNum(pick(r, 'relative_speed')) },
      { label: t('rel. cost-perf.'), num: true, render: (r) => fmtNum(pick(r, 'relative_cost_performance')) },
      { label: t('note'), render: (r) => (r.ok === false || r.fits === false
        ? (pick(r, 'error', 'reason', 'message') ? raw(pick(r, 'error', 'reason', 'message')) : t('does not fit'))
        : tEnum(pick(r, 'bound'))) },
    ];
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
    $('#estimate-cards').replaceChildren(el('p.muted', null, t('estimating…')));
    let res;
    try {
      res = await api('POST', '/estimate/' + mode, body);
    } catch (e) {
      showError(box, e, form);
      $('#estimate-cards').replaceChildren(el('p.muted', null, t('no result')));
      return;
    } finally {
      btn.disabled = false;
    }
    renderEstimate(res, mode);
  }

  function trainCards(r, fits) {
    const p = pick(r, 'parallelism') || {};
    // A multi-die package (Ascend 910C) runs a rank per die: memory is per die.
    const perDie = pick(r, 'dies_per_device') > 1;
    const usable = tf('of {usable} usable', { usable: fmtGb(pick(r, 'memory_usable_gb')) });
    return [
      card(t('step time'), fmtSec(pick(r, 'step_time_s')), tf('{batch} seq × {seq} tok', { batch: fmtInt(pick(r, 'parallelism.global_batch')), seq: fmtInt(pick(r, 'seq')) })),
      card(t('tokens / s'), fmtNum(pick(r, 'tokens_per_s')), tf('{n} per device', { n: fmtNum(pick(r, 'tokens_per_s_per_device')) })),
      card('MFU', fmtPct(pick(r, 'mfu')), tf('HFU {hfu} · peak {peak}', { hfu: fmtPct(pick(r, 'hfu')), peak: text(pick(r, 'mfu_peak')) })),
      card(perDie ? t('memory / die') : t('memory / device'), fmtGb(pick(r, 'memory_per_device_gb')),
           perDie ? `${usable} · ${tf('{n} ranks', { n: fmtInt(pick(r, 'ranks')) })}` : usable, fits === false ? 'bad' : ''),
      card(t('cost'), fmtUsd(pick(r, 'cost_usd')), tf('{n} device-hours', { n: fmtNum(pick(r, 'device_hours')) })),
      card(t('time to train'), fmtDays(pick(r, 'time_to_train_days')),
           tf('{tokens} tokens · {energy} MWh', { tokens: fmtNum(pick(r, 'tokens')), energy: fmtNum(pick(r, 'energy_mwh')) })),
      card(t('parallelism'), `TP${text(p.tp)} PP${text(p.pp)} DP${text(p.dp)}`,
           `EP${text(p.ep)} CP${text(p.cp)} · ${tf('micro-batch {n}', { n: text(p.micro_batch) })} · ZeRO ${text(p.zero)}${p.zero_shard > 0 ? ` (HSDP ${text(p.zero_shard)})` : ''} · ${tf('recompute: {mode}', { mode: tEnum(p.recompute) })}`),
    ];
  }
  function inferCards(r, fits) {
    const bound = pick(r, 'decode.bound');
    return [
      card(t('step time (decode)'), fmtSec(pick(r, 'decode_step_s')), tf('prefill {time}', { time: fmtSec(pick(r, 'prefill_s')) })),
      card(t('output tokens / s'), fmtNum(pick(r, 'output_tokens_per_s')), tf('{n} per device', { n: fmtNum(pick(r, 'output_tokens_per_s_per_device')) })),
      card('TTFT / TPOT', `${fmtSec(pick(r, 'ttft_s'))} / ${fmtSec(pick(r, 'tpot_s'))}`, tf('batch {batch} of max {max}', { batch: fmtInt(pick(r, 'batch')), max: fmtInt(pick(r, 'max_batch')) })),
      card('MFU', fmtPct(pick(r, 'mfu', 'decode_mfu')), bound ? tf('decode {bound}-bound', { bound: tEnum(bound) }) : ''),
      card(t('memory / device'), fmtGb(pick(r, 'memory_per_device_gb')),
           tf('of {usable} usable · KV {kv}', { usable: fmtGb(pick(r, 'memory_usable_gb')), kv: fmtGb(pick(r, 'kv_cache_gb')) }), fits === false ? 'bad' : ''),
      card(t('cost'), fmtUsd(pick(r, 'cost_per_million_output_tokens_usd')), t('per million output tokens')),
      card(t('layout'), `${fmtInt(pick(r, 'instances'))} × TP${text(pick(r, 'tp'))}`, `EP${text(pick(r, 'ep'))} · ${text(pick(r, 'precision'))} · KV ${text(pick(r, 'kv_precision'))}`),
    ];
  }

  function renderEstimate(res, mode) {
    const r = pick(res, 'result', 'estimate') && typeof res.result === 'object' ? res.result : res;
    const fits = pick(r, 'fits');
    const cards = mode === 'train' ? trainCards(r, fits) : inferCards(r, fits);
    const why = pick(r, 'reason', 'message', 'why_not');
    if (fits === false) cards.unshift(card(t('fits'), t('no'), why ? raw(why) : t('does not fit in memory'), 'bad'));
    const unv = pick(r, 'device.unverified_inputs', 'unverified_inputs');
    const cardsBox = $('#estimate-cards');
    cardsBox.replaceChildren(...cards);
    cardsBox.dataset.mode = mode;
    if (Array.isArray(unv) && unv.length) {
      cardsBox.append(el('div.card', null, el('div.k', null, t('unverified inputs')), el('div.s', null, el('span.unv', null, '* '), raw(unv.join(', ')))));
    }
    $('#estimate-raw').textContent = JSON.stringify(res, null, 2);
    drawBreakdown(r, mode);
  }

  // Breakdown chart: train → step-time components; infer → memory. The
  // labels are the API's keys ("tp_comm", "kv_cache_gb") shown as words.
  function drawBreakdown(r, mode) {
    const box = $('#estimate-chart-box');
    let keys = [], data = [], title = '';
    if (mode === 'train' && r.breakdown && typeof r.breakdown === 'object') {
      title = t('Step time breakdown (s)');
      for (const [k, val] of Object.entries(r.breakdown)) if (isNum(val) && val > 0) { keys.push(k.replace(/_/g, ' ')); data.push(val); }
    }
    if (keys.length === 0) {
      title = pick(r, 'dies_per_device') > 1 ? t('Memory per die (GB)') : t('Memory per device (GB)');
      const mem = r.memory && typeof r.memory === 'object' ? r.memory : { weights_gb: pick(r, 'weights_gb'), kv_cache_gb: pick(r, 'kv_cache_gb') };
      for (const [k, val] of Object.entries(mem)) if (isNum(val) && val > 0) { keys.push(k.replace(/_gb$/, '').replace(/_/g, ' ')); data.push(val); }
      const usable = pick(r, 'memory_usable_gb'), used = pick(r, 'memory_per_device_gb');
      if (isNum(usable) && isNum(used) && usable > used) { keys.push('free'); data.push(usable - used); }
    }
    if (keys.length === 0) { box.hidden = true; return; }
    box.hidden = false;
    $('#estimate-chart-title').textContent = title;
    const pal = ['#1f5fa8', '#d1495b', '#2a9d8f', '#e9c46a', '#6a4c93', '#e67e22', '#3d7a3a', '#8fb3e0', '#b8b8b8'];
    drawChart(canvasFor('estimate-breakdown'), {
      type: 'bar',
      data: { labels: keys.map((k) => t(k)),
              datasets: [{ label: title, data, backgroundColor: keys.map((k, i) => (k === 'free' ? '#d9dee5' : pal[i % pal.length])) }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } } },
    });
  }

  // ---------------------------------------------------------- 3. scenarios
  let scenarioLoading = null;
  async function loadScenarios() {
    if (scenarioLoading) return scenarioLoading;
    scenarioLoading = (async () => {
      try {
        state.scenarios = listOf(await api('GET', '/scenarios'), 'scenarios', 'items', 'data');
      } catch (e) {
        $('#scenario-list').replaceChildren(el('li.muted', null, ...errorNodes(e, t('cannot list'))));
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
    if (state.scenarios.length === 0) { ul.replaceChildren(el('li.muted', null, t('no saved scenarios'))); return; }
    ul.replaceChildren(...state.scenarios.map((s) => el('li' + (state.openScenario && state.openScenario.id === s.id ? '.active' : ''),
      { 'data-scenario': s.id, onclick: () => openScenario(s.id) },
      raw(s.name || '#' + s.id), el('span.meta', null, `${tEnum(s.kind)} · v${text(s.version)}`))));
  }
  // The run form's scenarios, grouped by kind (the option itself is the
  // scenario's name and version: data).
  const scenarioGroupLabel = (kind) => (kind === 'plan' ? t('plan scenarios') : kind === 'simulate' ? t('simulate scenarios')
    : tf('{kind} scenarios', { kind: tEnum(kind) }));
  function renderRunScenarioSelect() {
    const sel = $('#run-scenario');
    const prev = sel.value;
    const kinds = [...new Set(state.scenarios.map((s) => s.kind || ''))];
    sel.replaceChildren(...kinds.map((kind) => el('optgroup', { label: scenarioGroupLabel(kind) },
      state.scenarios.filter((s) => (s.kind || '') === kind).map((s) =>
        el('option', { value: s.id, 'data-kind': s.kind || '', translate: 'no' }, `${s.name} · v${text(s.version)}`)))));
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
      scenarioMsg(errorNodes(e, tf('cannot open scenario {id}', { id })), 'error');
      return;
    }
    s = s.scenario && typeof s.scenario === 'object' ? s.scenario : s;
    state.openScenario = s;
    const latest = state.scenarios.find((x) => x.id === s.id);
    const isOld = latest && isNum(latest.version) && isNum(s.version) && s.version < latest.version;
    $('#scenario-head').className = 'scenario-head';
    $('#scenario-head').replaceChildren(el('strong', { translate: 'no' }, s.name || '#' + s.id), ` · ${tEnum(s.kind)} · ${tf('version {n}', { n: text(s.version) })}`,
      isOld ? el('span.tag', null, ' ' + tf('viewing an old version (latest v{latest}); saving makes it the newest', { latest: latest.version })) : '',
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
      ul.replaceChildren(el('li.muted', null, ...errorNodes(e, t('versions'))));
      return;
    }
    vs = vs.slice().sort((a, b) => (b.version || 0) - (a.version || 0));
    ul.replaceChildren(...vs.map((v) => el('li' + (state.openScenario && state.openScenario.version === v.version ? '.active' : ''),
      { onclick: () => openScenario(id, v.version) },
      el('span', null, 'v' + text(v.version)), el('span.meta', null, fmtTime(v.created_at)))));
    if (vs.length === 0) ul.replaceChildren(el('li.muted', null, t('no versions')));
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
      scenarioMsg(tf('saved as version {n}', { n: text(saved && saved.version) }));
    } catch (e) {
      if (e.status === 409) {
        scenarioMsg([el('strong', null, t('409 conflict:'), ' '), raw(e.message), ' ', t('— someone saved a newer version.'), ' ',
                     el('button.small.secondary', { type: 'button', onclick: () => { loadScenarios().then(() => loadVersions(s.id)); } }, t('show versions')),
                     ' ', t('Your text is still in the editor; reload the latest version to merge.')], 'conflict');
      } else {
        if (e.field && /body/.test(e.field)) area.classList.add('invalid');
        scenarioMsg(errorNodes(e), 'error');
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
      scenarioMsg(tn('created {name} (version {n})', { name: raw(s && s.name), n: text(s && s.version) }));
    } catch (e) {
      if (e.field) {
        const input = findField(form, e.field);
        if (input) input.classList.add('invalid');
        else if (/body/.test(e.field)) area.classList.add('invalid');
      }
      scenarioMsg(errorNodes(e), e.status === 409 ? 'conflict' : 'error');
    }
  }
  async function deleteScenario() {
    const s = state.openScenario;
    if (!s) return;
    if (!window.confirm(tf('Delete scenario {name}?', { name: s.name || s.id }))) return;
    try {
      await api('DELETE', `/scenarios/${encodeURIComponent(s.id)}`);
    } catch (e) {
      scenarioMsg(errorNodes(e), 'error');
      return;
    }
    state.openScenario = null;
    $('#scenario-body').value = '';
    $('#scenario-head').replaceChildren(t('No scenario open.'));
    $('#scenario-versions').replaceChildren(el('li.muted', null, t('open a scenario')));
    for (const id of ['#scenario-save', '#scenario-delete', '#scenario-run']) $(id).disabled = true;
    scenarioMsg(tn('deleted {name}', { name: raw(s.name || s.id) }));
    loadScenarios();
  }
  function initScenarios() {
    $('#scenario-refresh').addEventListener('click', () => loadScenarios());
    $('#scenario-save').addEventListener('click', saveScenario);
    $('#scenario-delete').addEventListener('click', deleteScenario);
    $('#scenario-new').addEventListener('click', () => {
      state.openScenario = null;
      setNewMode(true);
      $('#scenario-head').replaceChildren(t('New scenario: give it a name and kind, paste or write the TOML, then Create.'));
      $('#scenario-body').value = '';
      scenarioMsg(null);
      renderScenarioList();
    });
    $('#scenario-cancel-new').addEventListener('click', () => { setNewMode(false); $('#scenario-head').replaceChildren(t('No scenario open.')); });
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
      $('#run-table tbody').replaceChildren(el('tr', null, el('td.muted', { colspan: 7 }, ...errorNodes(e, t('cannot list runs')))));
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
    // translate="no": its only text is a percentage, its title the server's progress message.
    return el('div.progress' + (r.status === 'succeeded' ? '.done' : ''), { 'data-run-progress': r.id, title: r.message || '', translate: 'no' },
              el('div', { style: { width: (p * 100).toFixed(1) + '%' } }), el('span', null, (p * 100).toFixed(0) + ' %'));
  }
  function renderRuns() {
    const tb = $('#run-table tbody');
    if (state.runs.length === 0) { tb.replaceChildren(el('tr', null, el('td.muted', { colspan: 7 }, t('no runs yet')))); return; }
    tb.replaceChildren(...state.runs.map((r) => {
      const active = ACTIVE.has(r.status);
      const tr = el('tr.clickable' + (state.selectedRun === r.id ? '.selected' : ''), { 'data-run': r.id, 'data-status': r.status },
        el('td', null, String(r.id)),
        el('td', null, tEnum(r.kind)),
        el('td', null, raw(scenarioOfRun(r))),
        el('td', null, el('span.status.' + (r.status || 'unknown'), null, tEnum(r.status)),
           r.message && active ? el('div.muted.small', { translate: 'no' }, r.message) : ''),
        el('td', null, progressBar(r)),
        el('td.small', null, fmtTime(r.created_at)),
        el('td', null,
           active ? el('button.small.danger', { type: 'button', 'data-cancel': r.id, onclick: (ev) => { ev.stopPropagation(); cancelRun(r.id); } }, t('Cancel')) : '',
           r.status === 'succeeded' && r.kind === 'report'
             ? el('a', { href: `${API}/runs/${r.id}/report.html`, target: '_blank', rel: 'noopener', onclick: (ev) => ev.stopPropagation() }, ' ' + t('report')) : ''));
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
        showError(box, { lead: t('options: not valid JSON'), message: e.message, field: 'options' }, form);
        return;
      }
    }
    // A report is written in the dashboard's language unless the options say.
    if (v.kind === 'report' && options && typeof options === 'object' && !Array.isArray(options) &&
        options.lang === undefined && i18n.lang !== 'en') options.lang = i18n.lang;
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
      $('#run-detail-body').replaceChildren(el('p.error-box', null, ...errorNodes(e)));
      return;
    }
    if (seq !== detailSeq) return;
    detailStatus = run.status;
    $('#run-detail-title').textContent = tf('Run #{id} · {kind} · {status}', { id, kind: tEnum(run.kind), status: tEnum(run.status) });
    const body = $('#run-detail-body');
    const kv = el('dl.kv', null,
      el('dt', null, t('scenario')), el('dd', null, raw(scenarioOfRun(run))),
      el('dt', null, t('created')), el('dd', null, fmtTime(run.created_at)),
      el('dt', null, t('updated')), el('dd', null, fmtTime(run.updated_at)),
      el('dt', null, t('message')), el('dd', null, raw(run.message)),
      el('dt', null, t('options')), el('dd', null, el('code', null, JSON.stringify(pick(run, 'options', 'params.options') ?? {}))));
    body.replaceChildren(kv);
    const chartsBox = $('#run-charts');
    const extra = $('#run-detail-extra');
    extra.replaceChildren();
    if (run.status === 'failed' || run.status === 'cancelled' || run.status === 'interrupted') {
      const err = run.error && typeof run.error === 'object' ? run.error : null;
      body.append(el('div.error-box', null, ...(err ? errorNodes(err) : run.error || run.message ? [raw(run.error || run.message)] : [tEnum(run.status)])));
      chartsBox.replaceChildren();
      return;
    }
    if (run.status !== 'succeeded') {
      body.append(el('p.muted', null, t('running… the charts appear when it finishes.')), progressBar(run));
      chartsBox.replaceChildren();
      return;
    }
    if (run.kind === 'report') {
      body.append(el('p', null, el('a', { href: `${API}/runs/${id}/report.html`, target: '_blank', rel: 'noopener', 'data-report-link': id },
                                  t('Open the HTML report')), ' ', t('(self-contained; opens in a new tab).')));
    }
    let result;
    try {
      result = await api('GET', `/runs/${id}/result`);
    } catch (e) {
      body.append(el('div.error-box', null, ...errorNodes(e, t('result'))));
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
    extra.append(el('details.raw', null, el('summary', null, t('Raw result JSON')), el('pre', null, JSON.stringify(res, null, 2).slice(0, 200000))));
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
        const h = pick(p, 't_h', 'hours') ?? (isNum(pick(p, 't_s', 't')) ? pick(p, 't_s', 't') / 3600 : undefined);
        out.t.push(h);
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
    let hours = pick(tl, 't_h', 'hours');
    if (!Array.isArray(hours)) { const ts = pick(tl, 't_s', 't'); hours = Array.isArray(ts) ? ts.map((x) => x / 3600) : []; }
    out.t = hours;
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
    body.append(el('div.cards', null, ...simCards(P)));
    const tl = simTimeline(doc);
    simUtilisationChart(tl, utilRows, chartsBox);
    simShareChart(tl, P('domestic_share_min', 'audit.domestic_share_min_rule') ?? ruleMinShare(doc), chartsBox);
    simJctChart(doc, P, chartsBox);
    if (utilRows.length) {
      extra.append(el('h3', null, t('Utilisation by accelerator (whole run)')), table([
        { label: t('accelerator'), render: (u) => accelCell(u.id, colour(u.id, u.domestic)) },
        { label: t('origin'), render: (u) => originTag(u.id, u.domestic) },
        { label: t('utilisation'), num: true, render: (u) => fmtPct(u.u) },
        { label: t('device-hours used'), num: true, render: (u) => fmtNum(u.hours) },
        { label: t('device-hours up'), num: true, render: (u) => fmtNum(u.up) },
      ], utilRows));
    }
  }
  function simCards(P) {
    const violations = P('policy_violations', 'audit.violations', 'audit_violations');
    const sec = (s, h) => fmtSec(P(s) ?? hoursToS(P(...h)));
    return [
      card(t('jobs'), `${fmtInt(P('jobs_completed', 'finished'))} / ${fmtInt(P('jobs_submitted', 'jobs'))}`,
           tf('completed · failed {failed} · unfinished {unfinished}', { failed: fmtInt(P('jobs_failed')), unfinished: fmtInt(P('jobs_unfinished', 'unfinished')) })),
      card(t('JCT p50 / p95'), `${sec('jct_s.p50', ['p50_jct_h', 'summary.p50_jct_h'])} / ${sec('jct_s.p95', ['p95_jct_h', 'summary.p95_jct_h'])}`,
           tf('mean {time}', { time: sec('jct_s.mean', ['mean_jct_h', 'summary.mean_jct_h']) })),
      card(t('queue wait p95'), sec('queue_s.p95', ['queue_hours_p95']), tf('mean {time}', { time: fmtSec(P('queue_s.mean')) })),
      card(t('domestic share'), fmtPct(P('domestic_share.mean', 'domestic_share_mean', 'summary.domestic_share_mean')),
           tf('min {share}', { share: fmtPct(P('domestic_share.min', 'summary.domestic_share_min')) })),
      card(t('policy violations'), fmtInt(violations), tf('audit: {n} log lines checked', { n: fmtInt(P('audit.lines')) }), (violations || 0) > 0 ? 'bad' : 'good'),
      card(t('cost'), fmtUsd(P('cost_usd')), tf('makespan {time} · {end}', { time: fmtSec(P('makespan_s')), end: tEnum(P('end_reason')) })),
      card(t('lost device-hours'), fmtNum(P('lost_device_hours', 'summary.lost_device_hours')),
           tf('node failures {failures} · restarts {restarts}', { failures: fmtInt(P('node_failures')), restarts: fmtInt(P('restarts')) })),
    ];
  }
  const colourNote = () => t('Warm colours: Chinese domestic accelerators; cool colours: foreign.');
  const simSeries = (tl, ys) => tl.t.map((x, i) => ({ x, y: isNum(ys[i]) ? ys[i] : null })).filter((d) => isNum(d.x));
  function simUtilisationChart(tl, utilRows, chartsBox) {
    const domesticOf = new Map(utilRows.map((u) => [u.id, u.domestic]));
    if (tl.t.length > 0 && tl.util.size > 0) {
      chartsBox.append(chartBox('sim-utilisation', t('Utilisation by accelerator over time'), colourNote()));
      drawChart(canvasFor('sim-utilisation', chartsBox), {
        type: 'line',
        data: { datasets: [...tl.util.entries()].map(([id, ys]) => ({
          label: id, borderColor: colour(id, domesticOf.get(id)), backgroundColor: colour(id, domesticOf.get(id)),
          pointRadius: 0, borderWidth: 1.5, data: simSeries(tl, ys) })) },
        options: { parsing: false, normalized: true, interaction: { mode: 'nearest', intersect: false },
                   scales: { x: { type: 'linear', title: { display: true, text: t('hours') } }, y: pctAxis } },
      });
    } else if (utilRows.length) {
      chartsBox.append(chartBox('sim-utilisation', t('Utilisation by accelerator (whole run)')));
      drawChart(canvasFor('sim-utilisation', chartsBox), {
        type: 'bar',
        data: { labels: utilRows.map((u) => u.id), datasets: [{ label: t('utilisation'), data: utilRows.map((u) => u.u), backgroundColor: utilRows.map((u) => colour(u.id, u.domestic)) }] },
        options: { plugins: { legend: { display: false } }, scales: { y: pctAxis } },
      });
    }
  }
  function simShareChart(tl, min, chartsBox) {
    const share = simSeries(tl, tl.share);
    if (!share.some((d) => isNum(d.y))) return;
    const datasets = [{ label: t('domestic share'), data: share, borderColor: '#d1495b', backgroundColor: rgba('#d1495b', 0.15),
                        fill: true, pointRadius: 0, borderWidth: 1.5, spanGaps: false }];
    if (isNum(min)) datasets.push({ label: t('rule minimum'), data: [{ x: share[0].x, y: min }, { x: share[share.length - 1].x, y: min }],
                                    borderColor: '#1d2733', borderDash: [6, 4], pointRadius: 0, borderWidth: 1 });
    chartsBox.append(chartBox('sim-domestic', t('Domestic share of allocated compute over time'),
                              t('Gaps: nothing running. The share can dip below the rule when foreign work was placed while it held and domestic jobs then ended.')));
    drawChart(canvasFor('sim-domestic', chartsBox), {
      type: 'line', data: { datasets },
      options: { parsing: false, normalized: true, scales: { x: { type: 'linear', title: { display: true, text: t('hours') } }, y: pctAxis } },
    });
  }
  // JCT distribution: the server's histogram, else per-job hours, else percentiles.
  function simJctChart(doc, P, chartsBox) {
    const hist = pick(doc, 'jct_histogram');
    const buckets = listOf(hist, 'buckets');
    let labels = [], counts = [], title = '';
    if (buckets.length) {
      const unit = pick(hist, 'unit') || 'h';
      const f = (x) => (isNum(x) ? (x === 0 ? '0' : x >= 100 ? Math.round(x).toString() : x >= 1 ? x.toPrecision(3).replace(/\.?0+$/, '') : x.toPrecision(2)) : '?');
      labels = buckets.map((b) => `${f(pick(b, 'from_h', 'from'))}–${f(pick(b, 'to_h', 'to'))}`);
      counts = buckets.map((b) => pick(b, 'count') ?? 0);
      title = tf('Job completion time distribution ({n} jobs, {unit})', { n: fmtInt(pick(hist, 'count') ?? counts.reduce((a, b) => a + b, 0)), unit });
    } else {
      const jct = pick(doc, 'jct_hours', 'jct_h');
      if (Array.isArray(jct) && jct.length) {
        const h = histogram(jct.filter(isNum));
        labels = h.labels; counts = h.counts;
        title = tf('Job completion time distribution ({n} jobs, {unit})', { n: jct.length, unit: 'h' });
      }
    }
    if (labels.length) {
      chartsBox.append(chartBox('sim-jct', title));
      drawChart(canvasFor('sim-jct', chartsBox), {
        type: 'bar', data: { labels, datasets: [{ label: t('jobs'), data: counts, backgroundColor: '#1f5fa8' }] },
        options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: t('job completion time (hours)') } }, y: { title: { display: true, text: t('jobs') } } } },
      });
      return;
    }
    const pcts = ['mean', 'p50', 'p95', 'p99'].map((k) => [k, P('jct_s.' + k)]).filter(([, v]) => isNum(v));
    if (pcts.length) {
      chartsBox.append(chartBox('sim-jct', t('Job completion time (hours)')));
      drawChart(canvasFor('sim-jct', chartsBox), {
        type: 'bar', data: { labels: pcts.map(([k]) => (k === 'mean' ? t('mean') : k)), datasets: [{ label: t('JCT (h)'), data: pcts.map(([, v]) => v / 3600), backgroundColor: '#1f5fa8' }] },
        options: { plugins: { legend: { display: false } } },
      });
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
    const binding = listOf(pick(plan, 'binding_constraints'));
    body.append(el('div.cards', null,
      card(t('status'), tEnum(plan.status), tf('gap {gap}', { gap: fmtPct(pick(plan, 'gap'), 2) }), plan.status === 'optimal' ? 'good' : plan.status === 'infeasible' ? 'bad' : ''),
      card(t('discounted cost'), fmtUsd(pick(plan, 'objective_usd')),
           isNum(pick(plan, 'solve_time_s')) ? tf('solved in {time}', { time: fmtSec(pick(plan, 'solve_time_s')) }) : t('objective over the plan years')),
      card(t('domestic share'), fmtPct(pick(plan, 'domestic_share')), tf('rule ≥ {share}', { share: fmtPct(pick(plan, 'domestic_share_min'), 0) })),
      card(t('binding constraints'), fmtInt(binding.length), raw(binding.map((b) => b.name).slice(0, 3).join(', ')))));
    const purchases = listOf(pick(plan, 'purchases'));
    planMixChart(purchases, listOf(pick(plan, 'rentals')), chartsBox);
    planCostChart(pick(plan, 'cost'), chartsBox);
    planTables(plan, purchases, binding, extra);
    const conflicts = listOf(pick(plan, 'conflicts'));
    if (conflicts.length) {
      body.append(el('div.error-box', null, ...tn('conflicting constraints: {list}',
        { list: raw(conflicts.map((c) => c.detail || c.name || JSON.stringify(c)).join('; ')) })));
    }
  }
  function planMixChart(purchases, rentals, chartsBox) {
    const years = [...new Set([...purchases, ...rentals].map((p) => p.year).filter((y) => y !== undefined))].sort((a, b) => a - b);
    const types = [...new Set([...purchases, ...rentals].map((p) => p.accelerator))];
    if (!years.length || !types.length) return;
    const datasets = [];
    for (const id of types) {
      const sum = (list) => years.map((y) => list.filter((p) => p.accelerator === id && p.year === y).reduce((a, p) => a + (pick(p, 'devices') || 0), 0));
      const bought = sum(purchases);
      if (bought.some((x) => x > 0)) datasets.push({ label: id, data: bought, backgroundColor: colour(id, originDomestic(pick(purchases.find((p) => p.accelerator === id) || {}, 'origin'))), stack: 'devices' });
      const rented = sum(rentals);
      if (rented.some((x) => x > 0)) datasets.push({ label: tf('{id} (rented)', { id }), data: rented, backgroundColor: rgba(colour(id), 0.35), borderColor: colour(id), borderWidth: 1, stack: 'devices' });
    }
    chartsBox.append(chartBox('plan-mix', t('Devices bought (and rented) per type and year'), colourNote()));
    drawChart(canvasFor('plan-mix', chartsBox), {
      type: 'bar', data: { labels: years.map((y) => tf('year {year}', { year: y })), datasets },
      options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: t('devices') } } } },
    });
  }
  // The plan's cost parts ("capex_usd", "expected_shortfall_usd") as words.
  function planCostChart(cost, chartsBox) {
    if (!cost || typeof cost !== 'object') return;
    const entries = Object.entries(cost).filter(([k, v]) => k.endsWith('_usd') && isNum(v) && v > 0);
    if (!entries.length) return;
    const pal = ['#1f5fa8', '#d1495b', '#e9c46a', '#2a9d8f', '#6a4c93', '#e67e22'];
    chartsBox.append(chartBox('plan-cost', t('Cost breakdown (discounted USD)')));
    drawChart(canvasFor('plan-cost', chartsBox), {
      type: 'bar',
      data: { labels: entries.map(([k]) => t(k.replace(/_usd$/, '').replace(/_/g, ' '))),
              datasets: [{ label: 'USD', data: entries.map(([, v]) => v), backgroundColor: entries.map((_, i) => pal[i % pal.length]) }] },
      options: { plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => fmtUsd(c.parsed.y) } } },
                 scales: { y: { ticks: { callback: (v) => fmtUsd(v) } } } },
    });
  }
  function planTables(plan, purchases, binding, extra) {
    purchases.sort((x, y) => (x.year - y.year) || String(x.site).localeCompare(String(y.site)) || String(x.accelerator).localeCompare(String(y.accelerator)));
    if (purchases.length) {
      extra.append(el('h3', null, t('Purchases')), table([
        { label: t('year'), render: (p) => p.year },
        { label: t('site'), render: (p) => raw(p.site) },
        { label: t('accelerator'), render: (p) => el('span', null, raw(p.accelerator), listOf(p.unverified).length ? unverifiedMark(p.unverified) : '') },
        { label: t('origin'), render: (p) => originTag(p.accelerator, originDomestic(p.origin)) },
        { label: t('nodes'), num: true, render: (p) => fmtInt(p.nodes) },
        { label: t('devices'), num: true, render: (p) => fmtInt(p.devices) },
      ], purchases));
    }
    if (binding.length) {
      extra.append(el('h3', null, t('Binding constraints')), table([
        { label: t('constraint'), render: (c) => raw(c.name) },
        { label: t('detail'), render: (c) => raw(c.detail) },
        { label: t('limit'), num: true, render: (c) => `${fmtNum(c.limit)} ${c.unit ? t(c.unit) : ''}` },
        { label: t('marginal $ / unit'), num: true, render: (c) => fmtUsd(c.marginal_usd_per_unit) },
      ], binding));
    }
    const policies = listOf(pick(plan, 'policy_costs'));
    if (policies.length) {
      extra.append(el('h3', null, t('Price of each policy (re-solved without it)')), table([
        { label: t('policy'), render: (c) => raw(c.policy) },
        { label: t('detail'), render: (c) => raw(c.detail) },
        { label: t('without it'), render: (c) => tEnum(c.status_without) },
        { label: t('added cost'), num: true, render: (c) => fmtUsd(c.delta_usd) },
        { label: '%', num: true, render: (c) => (isNum(c.delta_pct) ? c.delta_pct.toFixed(2) + ' %' : DASH) },
      ], policies));
    }
  }
  const originDomestic = (o) => (o ? ['cn', 'china', 'domestic'].includes(String(o).toLowerCase()) : undefined);

  function renderReportResult(r, chartsBox, body, extra) {
    const plan = r && (r.plan || (r.purchases ? r : null));
    if (plan) renderPlanResult(plan, chartsBox, body, extra);
    const sim = r && r.simulation;
    if (sim && typeof sim === 'object') renderSimulateResult(sim, chartsBox, body, sim, extra);
  }

  // The run form's hint: option names and examples are JSON (code), the
  // words around them translated.
  function optionHint(kind) {
    const c = (x) => el('code', null, x);
    if (kind === 'simulate') {
      return tn('Options: {seed} (integer), {placement} ({placements}), {queue} ({queues}), {until} — e.g. {example}. Needs a simulate scenario.', {
        seed: c('seed'), placement: c('placement'), placements: c('first-fit, best-fit, dotprod, gpu-packing, gpu-clustering, random, fgd, hetero'),
        queue: c('queue'), queues: c('fifo, priority, sjf, fair-share'), until: c('until_hours'), example: c('{"until_hours": 240, "placement": "fgd"}') });
    }
    if (kind === 'plan') {
      return tn('Options: {set}, {sweep}, {time_limit}, {gap} — e.g. {example}. Needs a plan scenario.', {
        set: c('set ["key=value", …]'), sweep: c('sweep ["key=v1,v2", …]'), time_limit: c('time_limit_s'), gap: c('gap'),
        example: c('{"set": ["policy.domestic_share_min=0.7"]}') });
    }
    if (kind === 'report') {
      return tn('Options: {options} — e.g. {example}. Needs a plan scenario; the finished run links to its HTML report.', {
        options: c('set, sweep, time_limit_s, gap, simulate (true/false), year, lang (en/zh)'), example: c('{"simulate": false}') });
    }
    return [];
  }
  function syncRunHint() {
    $('#run-options-hint').replaceChildren(...optionHint($('#run-form [name="kind"]').value));
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
    $('#fleet-updated').textContent = tf('· updated {time}', { time: new Date().toLocaleTimeString(i18n.lang === 'zh' ? 'zh-CN' : undefined) });
    if (state.tab === 'fleet') fleetTimer = setTimeout(loadFleet, 3000);
  }
  function fleetTypes(f) {
    let types = pick(f, 'types', 'by_type', 'accelerators');
    if (types && !Array.isArray(types) && typeof types === 'object') types = Object.entries(types).map(([id, v]) => Object.assign({ accelerator: id }, v));
    return listOf(types).map((x) => {
      const total = pick(x, 'devices_total', 'devices', 'total');
      const up = pick(x, 'devices_up', 'up');
      const busy = pick(x, 'devices_allocated', 'allocated_devices', 'busy_devices', 'busy');
      const down = isNum(total) && isNum(up) ? Math.max(0, total - up) : pick(x, 'devices_down', 'down');
      const free = isNum(up) && isNum(busy) ? Math.max(0, up - busy) : pick(x, 'devices_free', 'free');
      return { id: pick(x, 'accelerator', 'id', 'type'), origin: x.origin, devices: total, up, busy, free, down,
               domestic: typeof x.domestic === 'boolean' ? x.domestic : originDomestic(x.origin) };
    });
  }
  function fleetCards(f, types) {
    const sum = (k) => types.reduce((a, x) => a + (isNum(x[k]) ? x[k] : 0), 0);
    const share = pick(f, 'domestic_share');
    const shareRule = listOf(pick(f, 'rules')).find((r) => r.kind === 'domestic-share');
    const events = card(t('events'), fmtInt(pick(f, 'events')), f.configured === false ? ''
      : tf('last seq {seq} · t = {t}', { seq: text(pick(f, 'last_seq')), t: fmtSec(pick(f, 'now_t')) }));
    if (f.configured === false) {
      return [card(t('fleet'), t('not configured'), tn('{request} with a fleet scenario, then report nodes and jobs', { request: el('code', null, 'PUT /api/v1/fleet/config') })), events];
    }
    return [
      card(t('scenario'), raw(pick(f, 'scenario')),
           tn('{queue} queue · {placement} placement', { queue: raw(pick(f, 'scheduler.queue')), placement: raw(pick(f, 'scheduler.placement')) })),
      card(t('accelerator types'), fmtInt(types.length), tf('{nodes} nodes ({up} up)', { nodes: fmtInt(pick(f, 'nodes')), up: fmtInt(pick(f, 'nodes_up')) })),
      card(t('devices'), fmtInt(sum('devices')), tf('{allocated} allocated · {down} down', { allocated: fmtInt(sum('busy')), down: fmtInt(sum('down')) })),
      card(t('domestic share'), fmtPct(isNum(share) ? share : undefined),
           shareRule ? tn('rule {rule}: ≥ {share} of {measure}', { rule: raw(shareRule.id), share: fmtPct(shareRule.min_share, 0), measure: t(shareRule.measure || 'compute') })
                     : t('of allocated compute'),
           isNum(share) && shareRule && share < shareRule.min_share ? 'bad' : ''),
      card(t('jobs'), fmtInt(pick(f, 'jobs')), tf('{running} running · {queued} queued', { running: fmtInt(pick(f, 'running')), queued: fmtInt(pick(f, 'queued')) })),
      events,
    ];
  }
  function renderFleet(f) {
    const configured = f.configured !== false;
    const types = fleetTypes(f);
    for (const x of types) colour(x.id, x.domestic);
    $('#fleet-cards').replaceChildren(...fleetCards(f, types));
    const ids = types.map((x) => x.id);
    const col = (x) => colour(x.id, x.domestic);
    drawChart(canvasFor('fleet-types'), {
      type: 'bar',
      data: {
        labels: ids.length ? ids : [t('(no fleet)')],
        datasets: [
          { label: t('allocated'), data: ids.length ? types.map((x) => x.busy || 0) : [0], backgroundColor: types.map(col), stack: 'd' },
          { label: t('free'), data: ids.length ? types.map((x) => x.free || 0) : [0], backgroundColor: types.map((x) => rgba(col(x), 0.25)),
            borderColor: types.map(col), borderWidth: 1, stack: 'd' },
          { label: t('down'), data: ids.length ? types.map((x) => x.down || 0) : [0], backgroundColor: '#9aa3ad', stack: 'd' },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: t('devices') } } } },
    });
    const rules = listOf(pick(f, 'rules'));
    $('#fleet-types-table').replaceChildren(
      table([
        { label: t('accelerator'), render: (x) => accelCell(x.id, col(x)) },
        { label: t('origin'), render: (x) => originTag(x.id, x.domestic) },
        { label: t('devices'), num: true, render: (x) => fmtInt(x.devices) },
        { label: t('up'), num: true, render: (x) => fmtInt(x.up) },
        { label: t('allocated'), num: true, render: (x) => fmtNum(x.busy) },
        { label: t('free'), num: true, render: (x) => fmtNum(x.free) },
      ], types, { empty: configured ? t('no nodes yet') : t('no fleet config') }),
      rules.length ? el('h3', null, t('Rules')) : '',
      rules.length ? rulesTable(rules) : '');
  }
  function rulesTable(rules) {
    const appliesTo = (r) => (r.accelerator ? raw(r.accelerator) : Array.isArray(r.tenants) && r.tenants.length ? raw(r.tenants.join(', '))
      : Array.isArray(r.origins) ? tn('origins {list}', { list: raw(r.origins.join(', ')) }) : '');
    const detail = (r) => (isNum(r.min_share) ? tf('≥ {share} ({measure})', { share: fmtPct(r.min_share, 0), measure: t(r.measure || 'compute') })
      : r.min_sensitivity ? tf('{level} and above', { level: t(r.min_sensitivity) }) : '');
    return table([
      { label: t('rule'), render: (r) => raw(r.id) },
      { label: t('kind'), render: (r) => tEnum(r.kind) },
      { label: t('applies to'), render: (r) => el('span', null, appliesTo(r)) },
      { label: t('detail'), render: detail },
      { label: t('state'), render: (r) => tEnum(r.state) },
    ], rules);
  }
  const joinList = (v) => (Array.isArray(v) ? v.join(', ') : v);
  // Why a job waits, or why a type was refused: the server's own words.
  const refusalLine = (r, type) => el('div.small.muted', null, r.accelerator ? raw(r.accelerator) : type ? tf('type {n}', { n: r.type }) : raw(r.type), ': ',
                                      raw(r.rule || ''), r.detail ? [' — ', raw(r.detail)] : '');
  function renderQueue(q, f) {
    const jobs = listOf(q, 'queued', 'queue', 'jobs');
    $('#fleet-queue').replaceChildren(table([
      { label: t('job'), num: true, render: (j) => pick(j, 'id', 'job') },
      { label: t('name'), render: (j) => raw(pick(j, 'name')) },
      { label: t('tenant'), render: (j) => raw(pick(j, 'tenant')) },
      { label: t('priority'), num: true, render: (j) => pick(j, 'priority') },
      { label: t('sensitivity'), render: (j) => tEnum(pick(j, 'sensitivity')) },
      { label: t('devices'), num: true, render: (j) => fmtInt(pick(j, 'devices')) },
      { label: t('submitted'), num: true, render: (j) => fmtSec(pick(j, 'submitted_t')) },
      { label: t('why waiting (rule)'), render: (j) => {
        const refusals = listOf(pick(j, 'refusals'));
        const reason = pick(j, 'reason'), rule = pick(j, 'rule');
        return el('span', null, reason ? raw(reason) : '', reason && rule ? ' ' : '', rule ? raw(`[${rule}]`) : '',
                  reason || rule || refusals.length ? '' : DASH, ...(reason ? [] : refusals).map((r) => refusalLine(r, false)));
      } },
    ], jobs, { empty: f && f.configured === false ? t('no fleet config') : t('queue empty') }));
  }
  function auditWhere(x) {
    const where = [x.accelerator, joinList(x.nodes)].filter(Boolean);
    if (where.length === 2) return el('span', null, ...tn('{accelerator} on {nodes}', { accelerator: raw(where[0]), nodes: raw(where[1]) }));
    if (where.length === 1) return raw(where[0]);
    return isNum(x.node) ? tf('node {n}', { n: x.node }) : DASH;
  }
  function renderAudit(a, f) {
    const rows = listOf(a, 'decisions', 'audit', 'items').slice().sort((x, y) => (y.seq || 0) - (x.seq || 0));
    const d = (row) => (row.decision && typeof row.decision === 'object' ? row.decision : row);
    $('#fleet-audit').replaceChildren(table([
      { label: t('seq'), num: true, render: (r) => r.seq },
      { label: t('event'), num: true, render: (r) => r.event_seq },
      { label: 't', num: true, render: (r) => fmtSec(pick(d(r), 't')) },
      { label: t('decision'), render: (r) => el('span.tag', null, tEnum(pick(d(r), 'event', 'kind', 'action'))) },
      { label: t('job'), render: (r) => { const x = d(r); return x.job_name ? el('span', null, raw(x.job_name), ` (#${x.job})`) : pick(x, 'job'); } },
      { label: t('where'), render: (r) => auditWhere(d(r)) },
      { label: t('rule'), render: (r) => {
        const x = d(r);
        const refusals = listOf(x.refusals);
        return el('span', null, x.rule ? el('code', null, x.rule) : refusals.length ? '' : DASH,
                  x.detail ? [' ', raw(x.detail)] : '', x.reason ? [' ', raw(x.reason)] : '',
                  Array.isArray(x.checked) && x.checked.length ? el('div.small.muted', null, ...tn('checked: {rules}', { rules: raw(x.checked.join(', ')) })) : '',
                  ...refusals.map((y) => refusalLine(y, true)));
      } },
    ], rows, { empty: f && f.configured === false ? t('no fleet config') : t('no decisions yet') }));
  }

  // -------------------------------------------------------------- language
  // The language: ?lang=, else the one chosen here before (localStorage),
  // else the server's default (health's "lang"), else English.
  async function chooseLang() {
    const asked = new URLSearchParams(location.search).get('lang');
    if (asked && LANGS[asked]) return asked;
    const stored = localStorage.getItem(LANG_KEY);
    if (stored && LANGS[stored]) return stored;
    await loadHealth();
    return state.health && LANGS[state.health.lang] ? state.health.lang : 'en';
  }
  async function initLang() {
    i18n.lang = await chooseLang();
    if (i18n.lang !== 'en') {
      try {
        const c = await api('GET', '/i18n/' + encodeURIComponent(i18n.lang));
        i18n.messages = c && c.messages && typeof c.messages === 'object' ? c.messages : {};
      } catch (e) {
        i18n.failed = true;  // shown in English; saving a token tries again
      }
    }
    document.documentElement.lang = LANGS[i18n.lang];
    applyStatic();
    const sel = $('#lang-select');
    sel.value = i18n.lang;
    sel.addEventListener('change', () => {
      localStorage.setItem(LANG_KEY, sel.value);
      // Everything is drawn again in the new language; a ?lang= would win over the choice.
      const url = new URL(location.href);
      if (url.searchParams.has('lang')) { url.searchParams.delete('lang'); location.replace(url.href); } else location.reload();
    });
  }
  // index.html's own text: data-i18n elements show t(their English text)
  // (kept in data-i18n once read), data-i18n-<attribute> names the English
  // of that attribute.
  function applyStatic(root = document) {
    for (const n of $$('[data-i18n]', root)) {
      if (!n.getAttribute('data-i18n')) n.setAttribute('data-i18n', n.textContent.replace(/\s+/g, ' ').trim());
      n.textContent = t(n.getAttribute('data-i18n'));
    }
    for (const a of ['placeholder', 'title', 'aria-label']) {
      for (const n of $$(`[data-i18n-${a}]`, root)) n.setAttribute(a, t(n.getAttribute(`data-i18n-${a}`)));
    }
  }

  // ------------------------------------------------------------------ start
  async function init() {
    await initLang();
    if (state.health) setHealth(state.health);  // drawn before the messages came
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
