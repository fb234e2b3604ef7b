#!/usr/bin/env node
// The `suanli serve` dashboard in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core from web/node_modules),
// end to end against a real server on a fresh data directory:
//   - `suanli token create … --json` makes a write and a read-only token,
//     `suanli serve --listen 127.0.0.1:0` starts the service (the bundled
//     example scenarios are imported on first start), and the live fleet is
//     given a small config and three jobs over the API;
//   - the page loads with nothing but its own origin (any other request is
//     blocked and fails the test), no console error, no page error, no
//     failed request — except the HTTP errors a step provokes on purpose;
//   - header: the health badge shows the version and store; the token is
//     entered in the header bar;
//   - catalog: the accelerator chips load and the comparison charts draw;
//   - estimator: an inference estimate shows numbers; an invalid device
//     count shows the API's error next to the form with the field marked;
//   - auth: a write without a token shows the 401 banner, with the
//     read-only token the 403 banner;
//   - scenarios: the imported hybrid-cloud-2026 opens into the editor, a
//     new version saves, and a stale save shows the 409 conflict;
//   - runs: a simulate run of it starts from the form, finishes, and its
//     utilisation, domestic-share and JCT charts draw; a report run of the
//     plan example is cancelled from its row;
//   - live fleet: summary, chart, queue and decisions (with their rule) show.
// Every chart checked must have a size, data-rendered="true" and painted
// pixels. Screenshots go to ARTIFACTS_DIR (dashboard-*.png) either way.
//
// --lang zh: the same server and fleet; the language is switched to
// Chinese with the header's #lang-select and must be remembered after a
// reload (<html lang="zh-CN">, the select shows 中文); then every view is
// visited (catalog comparison in USD and CNY, an estimator error, an
// inference and a training estimate, the scenario list, an open scenario,
// the 401 banner, a simulate run's charts, a plan run's when it finishes in
// time, the live fleet) and every string the page shows that is not data
// (translate="no", code, pre, textarea, accelerator and model selects,
// chart labels naming an accelerator) must have no Latin-letter word
// outside a short list of units and acronyms (ALLOWED_WORDS); each one
// found is reported with its view. Charts must draw as in English.
// Screenshots: dashboard-zh-*.png (legible with a CJK font: Debian's
// fonts-noto-cjk). SUANLI_SHARE_DIR (a folder holding data/ and examples/,
// e.g. with a message catalog being written) reaches the server through the
// environment.
//
//   node tests/dashboard.mjs SUANLI_BINARY ARTIFACTS_DIR [--lang zh]
//
// Exit 0: all good; 1: a check failed (with the reason); 2: bad usage;
// 77: cannot run here (no Chromium or no playwright-core; run `make deps`)
// — CTest reports that as skipped. SUANLI_CHROMIUM overrides the browser.
// Under the sanitizers everything is ~10x slower: waits are generous.
import { CHROMIUM_ARGS, loadChromium, repo } from './chromium.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MIN_PAINTED = 100;
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}`);

const argv = process.argv.slice(2);
let lang = 'en';
if (argv.includes('--lang')) lang = argv.splice(argv.indexOf('--lang'), 2)[1];
if (argv.length !== 2 || !['en', 'zh'].includes(lang)) {
  console.error('usage: node tests/dashboard.mjs SUANLI_BINARY ARTIFACTS_DIR [--lang zh]');
  process.exit(2);
}
const binary = resolve(argv[0]);
const artifacts = resolve(argv[1]);
if (!existsSync(binary)) {
  console.error(`dashboard: FAIL: no binary at ${binary}`);
  process.exit(1);
}

const { chromium, executablePath } = loadChromium('dashboard');

class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };

const dataDir = mkdtempSync(join(tmpdir(), 'suanli-dashboard-data-'));
const userDataDir = mkdtempSync(join(tmpdir(), 'suanli-chromium-'));
let server = null;
let serverOutput = '';
let context = null;

function cleanup() {
  if (server && server.exitCode === null && server.signalCode === null) {
    try { server.kill('SIGKILL'); } catch {}
  }
  try { rmSync(userDataDir, { recursive: true, force: true }); } catch {}
  try { rmSync(dataDir, { recursive: true, force: true }); } catch {}
}
process.on('exit', cleanup);

// A hard stop below CTest's 300 s, so a hung step cannot hold the suite.
const watchdog = setTimeout(async () => {
  console.error('dashboard: FAIL: timed out after 285 s');
  if (context) {
    try { await shot(context.pages()[0], 'dashboard-timeout.png'); } catch {}
  }
  process.exit(1);
}, 285_000);

// ------------------------------------------------------------------ server
function createToken(name, ...flags) {
  const r = spawnSync(binary, ['token', 'create', name, ...flags, '--data-dir', dataDir, '--json'],
                      { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) fail(`suanli token create exited ${r.status}: ${r.stderr || r.stdout}`);
  let j;
  try { j = JSON.parse(r.stdout); } catch (e) { fail(`suanli token create --json printed no JSON: ${r.stdout}`); }
  const secret = j.secret ?? j.token ?? j.value;
  if (typeof secret !== 'string' || secret.length < 16) fail(`no secret in the token JSON: ${r.stdout}`);
  return secret;
}

function startServer() {
  return new Promise((resolveUrl, reject) => {
    server = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir],
                   { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => reject(new Failure(`suanli serve printed no 'listening on' line in 90 s:\n${serverOutput}`)), 90_000);
    const onData = (chunk) => {
      serverOutput += chunk.toString();
      const m = serverOutput.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', (c) => { serverOutput += c.toString(); });
    server.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Failure(`suanli serve exited early (${code ?? sig}):\n${serverOutput}`));
    });
  });
}

// SIGTERM (the server lets running runs finish for its grace period; the
// test cancelled its only long run), SIGKILL after 20 s. A server that does
// not exit 0 (e.g. a sanitizer report at exit) is logged, not failed: this
// test is about the dashboard.
async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', (code, sig) => r({ code, sig })));
  server.kill('SIGTERM');
  const t = setTimeout(() => { try { server.kill('SIGKILL'); } catch {} }, 20_000);
  const { code, sig } = await exited;
  clearTimeout(t);
  if (code !== 0) {
    log(`warning: suanli serve exited ${code ?? sig} after SIGTERM; its last output:`);
    console.log(serverOutput.slice(-2000));
  }
}

async function call(base, token, method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const txt = await res.text();
  let json = null;
  try { json = txt ? JSON.parse(txt) : null; } catch {}
  return { status: res.status, json, text: txt };
}

async function waitHealthy(base) {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await call(base, null, 'GET', '/api/v1/health');
      if (r.status === 200) return r.json;
      last = `${r.status} ${r.text}`;
    } catch (e) { last = e.message; }
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`GET /api/v1/health never answered 200: ${last}`);
}

// A small live fleet: two types (one foreign, one domestic), a domestic
// share rule, and three jobs (the last one waits) so the queue and the
// decisions have content.
const FLEET_CONFIG = `
name = "dashboard-test-fleet"
seed = 7

[scheduler]
queue = "fifo"
placement = "hetero"

[[sites]]
name = "wuhu"

[[fleet]]
site = "wuhu"
accelerator = "h20"
nodes = 2

[[fleet]]
site = "wuhu"
accelerator = "ascend-910b"
nodes = 2

[[tenants]]
name = "lab"

[[tenants]]
name = "gov"
sensitivity = "confidential"

[[rules]]
id = "sensitive-on-domestic"
kind = "sensitivity-origin"
min_sensitivity = "confidential"
origins = ["CN"]

[[rules]]
id = "domestic-50"
kind = "domestic-share"
min_share = 0.5
measure = "compute"
`;

async function setUpFleet(base, token) {
  const expectOk = (r, what) => {
    if (r.status < 200 || r.status >= 300) fail(`${what}: HTTP ${r.status}: ${r.text.slice(0, 500)}`);
    return r.json;
  };
  expectOk(await call(base, token, 'PUT', '/api/v1/fleet/config', { scenario: FLEET_CONFIG }), 'PUT /api/v1/fleet/config');
  expectOk(await call(base, token, 'POST', '/api/v1/fleet/jobs',
    { name: 'gov-finetune', tenant: 'gov', devices: 8, durations_hours: { h20: 10, 'ascend-910b': 12 } }), 'POST /api/v1/fleet/jobs (gov)');
  expectOk(await call(base, token, 'POST', '/api/v1/fleet/jobs',
    { name: 'lab-pretrain', tenant: 'lab', devices: 16, durations_hours: { h20: 30, 'ascend-910b': 40 } }), 'POST /api/v1/fleet/jobs (lab)');
  expectOk(await call(base, token, 'POST', '/api/v1/fleet/jobs',
    { name: 'lab-big', tenant: 'lab', devices: 16, durations_hours: { h20: 30, 'ascend-910b': 40 } }), 'POST /api/v1/fleet/jobs (lab-big)');
}

// ----------------------------------------------------------------- browser
async function shot(page, name) {
  if (!page) return;
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, name);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot: ${path}`);
}

// Painted pixels of the named charts (inside `scope`, a CSS selector).
async function chartStates(page, scope, names) {
  return page.evaluate(({ scope, names }) => names.map((name) => {
    const c = document.querySelector(`${scope} canvas[data-chart="${name}"]`);
    if (!c) return { name, missing: true };
    const r = { name, rendered: c.getAttribute('data-rendered') === 'true', width: c.width, height: c.height,
                cssWidth: c.clientWidth, cssHeight: c.clientHeight, painted: 0 };
    try {
      if (c.width > 0 && c.height > 0) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) ++r.painted;
      }
    } catch (e) { r.error = String(e); }
    return r;
  }), { scope, names });
}

async function expectCharts(page, scope, names, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let states = [];
  for (;;) {
    states = await chartStates(page, scope, names);
    const ok = states.every((s) => !s.missing && s.rendered && s.cssWidth > 0 && s.cssHeight > 0 && s.painted > MIN_PAINTED);
    if (ok) break;
    if (Date.now() > deadline) {
      const bad = states.filter((s) => s.missing || !s.rendered || !(s.painted > MIN_PAINTED) || !s.cssWidth)
        .map((s) => (s.missing ? `${s.name}: missing` : `${s.name}: rendered=${s.rendered} ${s.cssWidth}x${s.cssHeight} painted=${s.painted}${s.error ? ' ' + s.error : ''}`));
      fail(`charts not drawn in ${scope}: ${bad.join('; ')}`);
    }
    await page.waitForTimeout(200);
  }
  for (const s of states) log(`chart ${s.name}: ${s.painted} painted pixels (${s.cssWidth}x${s.cssHeight})`);
}

async function tab(page, name) {
  await page.click(`#tabs a[data-tab="${name}"]`);
  await page.waitForSelector(`#view-${name}:not([hidden])`, { timeout: 10_000 });
}

// ------------------------------------------------------------ English mode
async function englishHeader(page, base, token, health) {
  await page.goto(base + '/', { waitUntil: 'load', timeout: 60_000 });
  await page.waitForSelector('#health.ok', { timeout: 30_000 });
  const healthText = await page.textContent('#health');
  if (!healthText.includes(String(health.version)) || !healthText.includes(String(health.store)))
    fail(`health badge "${healthText}" does not show version ${health.version} and store ${health.store}`);
  log(`health badge: ${healthText}`);
  await page.fill('#token-input', token);
  await page.click('#token-save');
  const stored = await page.evaluate(() => localStorage.getItem('suanli.token'));
  if (stored !== token) fail('the token was not stored in localStorage');
}

async function englishCatalog(page) {
  await page.waitForSelector('#chips .chip', { timeout: 30_000 });
  const chips = await page.$$eval('#chips .chip', (n) => n.length);
  const domesticChips = await page.$$eval('#chips .chip.domestic', (n) => n.length);
  if (chips < 3 || domesticChips < 1) fail(`catalog chips: ${chips} chips, ${domesticChips} domestic`);
  log(`catalog: ${chips} chips (${domesticChips} domestic)`);
  await expectCharts(page, '#view-catalog', ['compare-per-usd', 'compare-tpp'], 120_000);
  const compareRows = await page.$$eval('#compare-table tbody tr', (n) => n.length);
  if (compareRows < 2) fail(`comparison table has ${compareRows} rows`);
  await shot(page, 'dashboard-catalog.png');

  // -- the same comparison in CNY: the money column is headed in yuan and
  // equals the USD figure times the stated rate, row by row.
  const moneyColumn = (symbol) => page.$$eval('#compare-table table', (tables, sym) => {
    const t = tables[0];
    const heads = Array.from(t.querySelectorAll('thead th')).map((th) => th.textContent.trim());
    const i = heads.indexOf(sym + ' / M output tok');
    if (i < 0) return null;
    return Array.from(t.querySelectorAll('tbody tr')).map((tr) => tr.children[i].textContent.trim());
  }, symbol);
  const usdCol = await moneyColumn('$');
  if (!usdCol) fail('the comparison has no "$ / M output tok" column');
  await page.selectOption('#compare-form select[name="currency"]', 'cny');
  await page.click('#compare-form button[type="submit"]');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('#compare-table thead th'))
    .some((th) => th.textContent.trim() === '¥ / M output tok'), null, { timeout: 120_000 });
  const cnyCol = await moneyColumn('¥');
  const hint = await page.textContent('#compare-table p.hint');
  const rateMatch = hint.match(/Amounts in CNY at ([0-9.]+) per USD/);
  if (!rateMatch) fail(`the CNY comparison does not state its rate: ${hint}`);
  const rate = rateMatch ? Number(rateMatch[1]) : NaN;
  const amount = (s) => Number(s.replace(/[^0-9.]/g, ''));
  let compared = 0;
  for (let i = 0; usdCol && cnyCol && i < usdCol.length; ++i) {
    if (!/[0-9]/.test(usdCol[i]) || /[MB]$/.test(usdCol[i])) continue;
    const ratio = amount(cnyCol[i]) / amount(usdCol[i]);
    if (!(Math.abs(ratio / rate - 1) < 0.01)) fail(`row ${i}: ${cnyCol[i]} is not ${usdCol[i]} x ${rate}`);
    ++compared;
  }
  if (compared < 2) fail(`only ${compared} comparable money cells in the CNY comparison`);
  log(`compare in CNY: ${compared} rows at ${rate} CNY per USD (e.g. ${usdCol?.[0]} -> ${cnyCol?.[0]})`);
  await page.selectOption('#compare-form select[name="currency"]', 'usd');
}

async function englishEstimate(page) {
  await tab(page, 'estimate');
  await page.waitForSelector('#estimate-form select[name="accelerator"] option[value="h100-sxm"]', { state: 'attached' });
  await page.selectOption('#estimate-form select[name="accelerator"]', 'h100-sxm');
  await page.selectOption('#estimate-form select[name="model"]', 'llama3-70b');
  await page.check('#estimate-form input[name="mode"][value="infer"]');
  await page.fill('#estimate-form input[name="input_len"]', '1000');
  await page.fill('#estimate-form input[name="output_len"]', '200');
  allowedStatuses = new Set([400, 404]);
  await page.fill('#estimate-form input[name="devices"]', '0');
  await page.click('#estimate-run');
  await page.waitForSelector('#estimate-error:not([hidden])', { timeout: 60_000 });
  const errText = await page.textContent('#estimate-error');
  const marked = await page.$$eval('#estimate-form .invalid', (n) => n.map((x) => x.getAttribute('name')));
  log(`estimate error shown: ${errText.trim()} (marked: ${marked.join(', ') || 'none'})`);
  if (/field:/.test(errText) && !marked.includes('devices')) fail(`the error names a field but the devices input is not marked: ${errText}`);
  if (!/devices/.test(errText)) fail(`the error for devices = 0 does not mention devices: ${errText}`);
  allowedStatuses = new Set();
  await page.fill('#estimate-form input[name="devices"]', '8');
  await page.click('#estimate-run');
  await page.waitForSelector('#estimate-cards .card', { timeout: 120_000 });
  if (!(await page.isHidden('#estimate-error'))) fail(`estimate error still shown: ${await page.textContent('#estimate-error')}`);
  if (await page.$$eval('#estimate-form .invalid', (n) => n.length)) fail('a field is still marked invalid after a good estimate');
  const cards = await page.$$eval('#estimate-cards .card', (n) => n.map((c) => ({ k: c.querySelector('.k')?.textContent, v: c.querySelector('.v')?.textContent })));
  const numeric = (k) => {
    const c = cards.find((x) => x.k && x.k.startsWith(k));
    if (!c) fail(`estimate: no "${k}" card (cards: ${cards.map((x) => x.k).join(', ')})`);
    if (!/\d/.test(c.v)) fail(`estimate: "${k}" shows no number: ${c.v}`);
    return c.v;
  };
  log(`estimate: step ${numeric('step time')}, ${numeric('output tokens')} tok/s, memory ${numeric('memory')}, cost ${numeric('cost')}`);
  await expectCharts(page, '#view-estimate', ['estimate-breakdown'], 30_000);
  await shot(page, 'dashboard-estimate.png');
}

// A write without a token is refused, the banner says so.
async function englishAuth(page, token, readOnly) {
  await tab(page, 'scenarios');
  await page.waitForSelector('#scenario-list li[data-scenario]', { timeout: 30_000 });
  await page.click('#token-clear');
  allowedStatuses = new Set([401]);
  await page.click('#scenario-new');
  await page.fill('#scenario-create input[name="name"]', 'unauthorised-test');
  await page.fill('#scenario-body', 'name = "x"\n');
  await page.click('#scenario-create-btn');
  await page.waitForSelector('#auth-banner:not([hidden])', { timeout: 30_000 });
  const banner = await page.textContent('#auth-banner');
  if (!banner.includes('401')) fail(`auth banner does not show 401: ${banner}`);
  log(`auth banner: ${banner.slice(0, 120)}`);
  allowedStatuses = new Set([403]);
  await page.fill('#token-input', readOnly);
  await page.click('#token-save');
  await page.click('#scenario-create-btn');
  await page.waitForFunction(() => /403/.test(document.querySelector('#auth-banner').textContent) &&
                                   !document.querySelector('#auth-banner').hidden, null, { timeout: 30_000 });
  log(`read-only token: ${(await page.textContent('#auth-banner')).slice(0, 100)}`);
  allowedStatuses = new Set();
  await page.fill('#token-input', token);
  await page.click('#token-save');
  await page.click('#scenario-cancel-new');
}

// Opens the imported hybrid-cloud-2026 scenario into the editor; its ID.
async function openImportedScenario(page) {
  const scenarioId = await page.$$eval('#scenario-list li[data-scenario]', (items) => {
    const li = items.find((x) => x.textContent.includes('hybrid-cloud-2026'));
    return li ? li.getAttribute('data-scenario') : null;
  });
  if (!scenarioId) fail('the imported scenario hybrid-cloud-2026 is not in the list');
  await page.click(`#scenario-list li[data-scenario="${scenarioId}"]`);
  await page.waitForFunction(() => document.querySelector('#scenario-body').value.includes('hybrid-cloud-2026'), null, { timeout: 30_000 });
  return scenarioId;
}

// Open, save a version, provoke a 409.
async function englishScenarios(page, base, token) {
  const scenarioId = await openImportedScenario(page);
  await page.waitForSelector('#scenario-versions li', { timeout: 30_000 });
  const original = await page.inputValue('#scenario-body');
  await page.fill('#scenario-body', original + '\n# edited in the dashboard test\n');
  await page.click('#scenario-save');
  await page.waitForFunction(() => /saved as version 2/.test(document.querySelector('#scenario-msg')?.textContent || ''), null, { timeout: 60_000 });
  log('scenario saved as version 2');
  // Someone else saves version 3; the page still believes 2 is the latest.
  const other = await call(base, token, 'PUT', `/api/v1/scenarios/${scenarioId}`, { body: original + '\n# edited elsewhere\n', expected_version: 2 });
  if (other.status !== 200) fail(`PUT version 3 over the API: ${other.status} ${other.text}`);
  allowedStatuses = new Set([409]);
  await page.fill('#scenario-body', original + '\n# a stale edit\n');
  await page.click('#scenario-save');
  await page.waitForSelector('#scenario-msg.conflict', { timeout: 60_000 });
  const conflict = await page.textContent('#scenario-msg');
  if (!conflict.includes('409')) fail(`conflict message does not say 409: ${conflict}`);
  log('stale save: 409 conflict shown');
  allowedStatuses = new Set();
  await page.click('#scenario-refresh');
  return scenarioId;
}

// A simulate run to its charts; a report run (the slowest kind) cancelled from its row.
async function englishRuns(page, scenarioId) {
  await tab(page, 'runs');
  await page.waitForSelector(`#run-scenario option[value="${scenarioId}"]`, { state: 'attached', timeout: 30_000 });
  await page.selectOption('#run-scenario', scenarioId);
  await page.selectOption('#run-form select[name="kind"]', 'simulate');
  await page.fill('#run-form input[name="options"]', '{}');
  await page.click('#run-start');
  await page.waitForSelector('#run-table tr[data-run]', { timeout: 30_000 });
  const runId = await page.$eval('#run-table tr[data-run]', (tr) => tr.getAttribute('data-run'));
  log(`run ${runId} started`);
  await page.waitForSelector(`#run-table tr[data-run="${runId}"] .progress`, { state: 'attached' });
  const runDeadline = Date.now() + 200_000;
  for (;;) {
    const status = await page.$eval(`#run-table tr[data-run="${runId}"]`, (tr) => tr.getAttribute('data-status')).catch(() => null);
    if (status === 'succeeded') break;
    if (status && !['queued', 'running'].includes(status)) {
      const detail = await page.textContent('#run-detail').catch(() => '');
      fail(`run ${runId} ended ${status}: ${detail.slice(0, 800)}`);
    }
    if (Date.now() > runDeadline) fail(`run ${runId} still ${status} after 200 s`);
    await page.waitForTimeout(500);
  }
  log(`run ${runId} succeeded`);
  await expectCharts(page, '#run-charts', ['sim-utilisation', 'sim-domestic', 'sim-jct'], 60_000);
  await page.$eval('#run-detail', (n) => n.scrollIntoView());
  await shot(page, 'dashboard-run.png');

  // -- runs: a report run (the slowest kind), cancelled from its row
  const planScenario = await page.$$eval('#run-scenario option', (o) => o.find((x) => x.dataset.kind === 'plan')?.value);
  if (!planScenario) fail('the imported plan scenario is not offered in the run form');
  await page.selectOption('#run-scenario', planScenario);
  await page.selectOption('#run-form select[name="kind"]', 'report');
  await page.click('#run-start');
  await page.waitForFunction((prev) => {
    const tr = document.querySelector('#run-table tr[data-run]');
    return tr && tr.getAttribute('data-run') !== prev;
  }, runId, { timeout: 30_000 });
  const reportRun = await page.$eval('#run-table tr[data-run]', (tr) => tr.getAttribute('data-run'));
  allowedStatuses = new Set([409]);  // should it finish before the click lands
  const cancelButton = `#run-table tr[data-run="${reportRun}"] button[data-cancel]`;
  let cancelClicked = false;
  try {
    await page.click(cancelButton, { timeout: 15_000 });
    cancelClicked = true;
  } catch { /* it finished first */ }
  let reportStatus = null;
  const cancelDeadline = Date.now() + 120_000;
  for (;;) {
    reportStatus = await page.$eval(`#run-table tr[data-run="${reportRun}"]`, (tr) => tr.getAttribute('data-status')).catch(() => null);
    if (reportStatus && !['queued', 'running'].includes(reportStatus)) break;
    if (Date.now() > cancelDeadline) fail(`report run ${reportRun} still ${reportStatus} 120 s after Cancel`);
    await page.waitForTimeout(300);
  }
  allowedStatuses = new Set();
  if (cancelClicked && reportStatus !== 'cancelled' && reportStatus !== 'succeeded')
    fail(`report run ${reportRun} ended ${reportStatus} after Cancel`);
  if (!cancelClicked && reportStatus !== 'succeeded') fail(`report run ${reportRun} ended ${reportStatus}`);
  log(`report run ${reportRun}: ${cancelClicked ? 'Cancel clicked, ' : 'finished before Cancel, '}${reportStatus}`);
}

async function englishFleet(page) {
  await tab(page, 'fleet');
  await expectCharts(page, '#view-fleet', ['fleet-types'], 30_000);
  await page.waitForFunction(() => document.querySelectorAll('#fleet-audit tbody tr').length >= 2 &&
                                   !document.querySelector('#fleet-audit tbody td.muted'), null, { timeout: 30_000 });
  const fleetCards = await page.textContent('#fleet-cards');
  if (!/domestic share/.test(fleetCards) || !/dashboard-test-fleet/.test(fleetCards)) fail(`fleet summary: ${fleetCards}`);
  const auditText = await page.textContent('#fleet-audit');
  if (!/place/.test(auditText) || !/policy:|domestic|sensitive/.test(auditText)) fail(`fleet decisions show no placement with its rule: ${auditText.slice(0, 600)}`);
  const queueRows = await page.$$eval('#fleet-queue tbody tr', (n) => n.length);
  log(`fleet: summary, chart, ${queueRows} queue row(s), decisions with rules`);
  await shot(page, 'dashboard-fleet.png');
}

// ------------------------------------------------------------ Chinese mode
// Latin-letter words the Chinese dashboard may show (case-insensitive; a
// word may end in digits: TP8, BF16). Chinese operators write these in
// Latin letters too: units (ms, s, h, GB, TB, MWh, kW; k, M, B for
// thousand, million, billion), metric and hardware acronyms (MFU, HFU,
// TFLOPS, TPP, ECCN, TPOT, TTFT, SLO, HBM, KV, GPU, ID), parallelism degrees
// as in Megatron and DeepSpeed (TP, PP, DP, EP, CP, ZeRO), precisions (BF16,
// FP8, INT8, FP4), formats (JSON, TOML, HTML, API), currencies and the
// domestic country code (USD, CNY, CN), "token" (not translated in Chinese
// LLM usage), percentiles (p50, p95, p99), t (the fleet clock's symbol) and
// the product's name.
const ALLOWED_WORDS = new Set([
  'ms', 's', 'h', 'GB', 'TB', 'MWh', 'kW', 'k', 'M', 'B',
  'MFU', 'HFU', 'TFLOPS', 'TPP', 'ECCN', 'TPOT', 'TTFT', 'SLO', 'HBM', 'KV', 'GPU', 'ID',
  'TP', 'PP', 'DP', 'EP', 'CP', 'ZeRO', 'BF16', 'FP8', 'INT8', 'FP4',
  'JSON', 'TOML', 'HTML', 'API', 'USD', 'CNY', 'CN', 'token', 'p50', 'p95', 'p99', 't', 'suanli',
].map((w) => w.toLowerCase()));

// The Latin-letter words of `s` not allowed above. Numbers are not words:
// timestamps (2026-01-02 03:04:05Z), exponents (1e12), versions (v3) and
// ECCN classes (3A090.a) are taken out first.
function latinWords(s) {
  const rest = s.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, ' ')
    .replace(/\d(?:\.\d+)?e[+-]?\d+/gi, ' ')
    .replace(/\bv\d+(?:\.\d+)*\b/g, ' ')
    .replace(/3A090(?:\.[ab](?:\.\d)?)?/g, ' ');
  return (rest.match(/[A-Za-z][A-Za-z0-9]*/g) || [])
    .filter((w) => !ALLOWED_WORDS.has(w.toLowerCase()) && !ALLOWED_WORDS.has(w.replace(/\d+$/, '').toLowerCase()));
}

// Every string the page shows now: visible text nodes, placeholder, title
// and aria-label attributes, option and optgroup labels, the document
// title, and the charts' axis titles, dataset and category labels. Data is
// left out: anything inside [translate="no"], <code>, <pre>, <textarea>,
// the accelerator and model selects, and chart labels naming an
// accelerator (`ids`).
function shownStrings(page, ids) {
  return page.evaluate((ids) => {
    const out = [];
    const data = (el) => !el || el.closest('[translate="no"], code, pre, textarea, script, style, noscript, select.accel-select, select.model-select');
    const shown = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const holder = (el) => (el.closest('select') || el);  // an option shows when its select does
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const s = n.nodeValue.replace(/\s+/g, ' ').trim();
      if (s && !data(n.parentElement) && shown(holder(n.parentElement))) out.push(s);
    }
    for (const el of document.body.querySelectorAll('[placeholder], [title], [aria-label], optgroup[label]')) {
      if (data(el) || !shown(holder(el))) continue;
      for (const a of ['placeholder', 'title', 'aria-label']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
      if (el.tagName === 'OPTGROUP') out.push(el.label);
    }
    out.push(document.title);
    const isData = (l) => ids.some((id) => l === id || l.startsWith(id + ' ') || l.startsWith(id + '(') || l.startsWith(id + '（'));
    for (const c of document.querySelectorAll('canvas[data-chart]')) {
      const chart = shown(c) && window.Chart && window.Chart.getChart(c);
      if (!chart) continue;
      for (const sc of Object.values(chart.options.scales || {})) if (sc.title && sc.title.display && sc.title.text) out.push(String(sc.title.text));
      for (const d of chart.data.datasets) if (typeof d.label === 'string' && !isData(d.label)) out.push(d.label);
      for (const l of chart.data.labels || []) if (typeof l === 'string' && !isData(l)) out.push(l);
    }
    return [...new Set(out)];
  }, ids);
}

// Untranslated strings → the views that showed them, reported at the end.
const untranslated = new Map();
async function checkChinese(page, view, ids) {
  const strings = await shownStrings(page, ids);
  const bad = strings.filter((s) => latinWords(s).length > 0);
  for (const s of bad) untranslated.set(s, [...(untranslated.get(s) ?? []), view]);
  log(`${view}: ${strings.length} strings checked, ${bad.length} untranslated`);
}

async function waitRunEnd(page, runId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await page.$eval(`#run-table tr[data-run="${runId}"]`, (tr) => tr.getAttribute('data-status')).catch(() => null);
    if (status && !['queued', 'running'].includes(status)) return status;
    if (Date.now() > deadline) return status;
    await page.waitForTimeout(300);
  }
}

async function startRunFromForm(page, scenarioId, kind, previousRun) {
  await page.selectOption('#run-scenario', scenarioId);
  await page.selectOption('#run-form select[name="kind"]', kind);
  await page.fill('#run-form input[name="options"]', '{}');
  await page.click('#run-start');
  await page.waitForFunction((prev) => {
    const tr = document.querySelector('#run-table tr[data-run]');
    return tr && tr.getAttribute('data-run') !== prev;
  }, previousRun, { timeout: 30_000 });
  return page.$eval('#run-table tr[data-run]', (tr) => tr.getAttribute('data-run'));
}

// The catalog view loaded and drawn, nothing in flight: a reload now
// aborts no request (an aborted one would count as failed).
async function settled(page) {
  await page.waitForSelector('#compare-table tbody tr', { timeout: 120_000 });
  await page.waitForLoadState('networkidle', { timeout: 30_000 });
}

// The language switch: chosen in the header, remembered after a reload.
async function switchToChinese(page) {
  await settled(page);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: 60_000 }), page.selectOption('#lang-select', 'zh')]);
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN', null, { timeout: 30_000 });
  await settled(page);
  await page.reload({ waitUntil: 'load', timeout: 60_000 });
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN', null, { timeout: 30_000 })
    .catch(() => fail('<html lang> is not zh-CN after a reload: the language was not remembered'));
  const st = await page.evaluate(() => ({
    lang: document.documentElement.lang, shown: document.querySelector('#lang-select').selectedOptions[0]?.textContent,
    stored: localStorage.getItem('suanli.lang'), tab: document.querySelector('#tabs a[data-tab="catalog"]').textContent }));
  if (st.shown !== '中文' || st.stored !== 'zh') fail(`the language is not remembered after a reload: ${JSON.stringify(st)}`);
  log(`language after a reload: ${JSON.stringify(st)}`);
}

async function zhCatalog(page, ids) {
  await page.waitForSelector('#health.ok', { timeout: 30_000 });
  await page.waitForSelector('#chips .chip', { timeout: 30_000 });
  await expectCharts(page, '#view-catalog', ['compare-per-usd', 'compare-tpp'], 120_000);
  await page.waitForSelector('#compare-table tbody tr', { timeout: 30_000 });
  await checkChinese(page, 'catalog', ids);
  await shot(page, 'dashboard-zh-catalog.png');
  await page.selectOption('#compare-form select[name="currency"]', 'cny');
  await page.click('#compare-form button[type="submit"]');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('#compare-table thead th'))
    .some((th) => th.textContent.includes('¥')), null, { timeout: 120_000 });
  await expectCharts(page, '#view-catalog', ['compare-per-usd', 'compare-tpp'], 30_000);
  await checkChinese(page, 'catalog (CNY)', ids);
}

async function zhEstimate(page, ids) {
  await tab(page, 'estimate');
  await page.waitForSelector('#estimate-form select[name="accelerator"] option[value="h100-sxm"]', { state: 'attached' });
  await page.selectOption('#estimate-form select[name="accelerator"]', 'h100-sxm');
  await page.selectOption('#estimate-form select[name="model"]', 'llama3-70b');
  await page.check('#estimate-form input[name="mode"][value="infer"]');
  allowedStatuses = new Set([400, 404]);
  await page.fill('#estimate-form input[name="devices"]', '0');
  await page.click('#estimate-run');
  await page.waitForSelector('#estimate-error:not([hidden])', { timeout: 60_000 });
  await checkChinese(page, 'estimator (error)', ids);
  allowedStatuses = new Set();
  await page.fill('#estimate-form input[name="devices"]', '8');
  await page.click('#estimate-run');
  await page.waitForSelector('#estimate-cards[data-mode="infer"] .card', { timeout: 120_000 });
  await expectCharts(page, '#view-estimate', ['estimate-breakdown'], 30_000);
  await checkChinese(page, 'estimator (inference)', ids);
  await shot(page, 'dashboard-zh-estimate-infer.png');
  await page.check('#estimate-form input[name="mode"][value="train"]');
  await page.fill('#estimate-form input[name="devices"]', '64');
  await page.fill('#estimate-form input[name="tokens"]', '1e12');
  await page.click('#estimate-run');
  await page.waitForSelector('#estimate-cards[data-mode="train"] .card', { timeout: 120_000 });
  await expectCharts(page, '#view-estimate', ['estimate-breakdown'], 30_000);
  await checkChinese(page, 'estimator (training)', ids);
  await shot(page, 'dashboard-zh-estimate-train.png');
}

// The imported hybrid-cloud-2026 opened; a write without a token shows the
// 401 banner. Returns the scenario's ID.
async function zhScenarios(page, token, ids) {
  await tab(page, 'scenarios');
  await page.waitForSelector('#scenario-list li[data-scenario]', { timeout: 30_000 });
  await checkChinese(page, 'scenarios (list)', ids);
  const scenarioId = await openImportedScenario(page);
  await page.waitForSelector('#scenario-versions li:not(.muted)', { timeout: 30_000 });
  await checkChinese(page, 'scenarios (open)', ids);
  await shot(page, 'dashboard-zh-scenarios.png');
  await page.click('#token-clear');
  allowedStatuses = new Set([401]);
  await page.click('#scenario-new');
  await page.fill('#scenario-create input[name="name"]', 'unauthorised-test');
  await page.fill('#scenario-body', 'name = "x"\n');
  await page.click('#scenario-create-btn');
  await page.waitForSelector('#auth-banner:not([hidden])', { timeout: 30_000 });
  await checkChinese(page, 'scenarios (new, 401 banner)', ids);
  allowedStatuses = new Set();
  await page.fill('#token-input', token);
  await page.click('#token-save');
  await page.click('#scenario-cancel-new');
  return scenarioId;
}

// A simulate run to its charts; a plan run too when it finishes in time
// (else it is cancelled).
async function zhRuns(page, scenarioId, ids) {
  await tab(page, 'runs');
  await page.waitForSelector(`#run-scenario option[value="${scenarioId}"]`, { state: 'attached', timeout: 30_000 });
  const runId = await startRunFromForm(page, scenarioId, 'simulate', null);
  const status = await waitRunEnd(page, runId, 120_000);
  if (status !== 'succeeded') fail(`run ${runId} ended ${status}: ${(await page.textContent('#run-detail').catch(() => '')).slice(0, 800)}`);
  await expectCharts(page, '#run-charts', ['sim-utilisation', 'sim-domestic', 'sim-jct'], 60_000);
  await page.$eval('#run-detail', (n) => n.scrollIntoView());
  await checkChinese(page, 'runs (simulate)', ids);
  await shot(page, 'dashboard-zh-run.png');
  const planScenario = await page.$$eval('#run-scenario option', (o) => o.find((x) => x.dataset.kind === 'plan')?.value);
  if (!planScenario) fail('the imported plan scenario is not offered in the run form');
  const planRun = await startRunFromForm(page, planScenario, 'plan', runId);
  const budget = Math.max(10_000, 110_000 - (Date.now() - started));
  const planStatus = await waitRunEnd(page, planRun, budget);
  if (planStatus === 'succeeded') {
    await page.waitForSelector('#run-charts canvas[data-rendered="true"]', { timeout: 30_000 });
    const names = await page.$$eval('#run-charts canvas[data-chart]', (n) => n.map((c) => c.getAttribute('data-chart')));
    await expectCharts(page, '#run-charts', names, 30_000);
    await page.$eval('#run-detail', (n) => n.scrollIntoView());
    await checkChinese(page, 'runs (plan)', ids);
    await shot(page, 'dashboard-zh-plan.png');
  } else if (['queued', 'running'].includes(planStatus)) {
    log(`plan run ${planRun} still ${planStatus} after ${(budget / 1000).toFixed(0)} s: not checked, cancelled`);
    allowedStatuses = new Set([409]);
    await page.click(`#run-table tr[data-run="${planRun}"] button[data-cancel]`, { timeout: 15_000 }).catch(() => {});
    await waitRunEnd(page, planRun, 60_000);
    allowedStatuses = new Set();
  } else {
    fail(`plan run ${planRun} ended ${planStatus}`);
  }
}

async function zhFleet(page, ids) {
  await tab(page, 'fleet');
  await expectCharts(page, '#view-fleet', ['fleet-types'], 30_000);
  await page.waitForFunction(() => document.querySelectorAll('#fleet-audit tbody tr').length >= 2 &&
                                   !document.querySelector('#fleet-audit tbody td.muted'), null, { timeout: 30_000 });
  await checkChinese(page, 'live fleet', ids);
  await shot(page, 'dashboard-zh-fleet.png');
}

async function chineseMode(page, base, token) {
  const acc = (await call(base, token, 'GET', '/api/v1/catalog/accelerators')).json;
  const ids = (Array.isArray(acc) ? acc : acc?.accelerators ?? acc?.items ?? []).map((a) => a.id).filter(Boolean);
  if (ids.length < 3) fail(`GET /api/v1/catalog/accelerators: ${ids.length} accelerators`);
  await page.goto(base + '/', { waitUntil: 'load', timeout: 60_000 });
  await page.waitForSelector('#health.ok', { timeout: 30_000 });
  await page.fill('#token-input', token);
  await page.click('#token-save');
  await switchToChinese(page);
  await zhCatalog(page, ids);
  await zhEstimate(page, ids);
  const scenarioId = await zhScenarios(page, token, ids);
  await zhRuns(page, scenarioId, ids);
  await zhFleet(page, ids);
}

// --------------------------------------------------------------------- run
const blocked = [];
const failedRequests = [];
const consoleErrors = [];
const httpErrors = [];          // API responses >= 400 seen by the page
let allowedStatuses = new Set(); // statuses the current step provokes on purpose
let expectedHits = 0;
let failure = null;

try {
  const token = createToken('test');
  const readOnly = createToken('viewer', '--read-only');
  log('tokens created (write, read-only)');
  const base = await startServer();
  log(`server at ${base}`);
  const health = await waitHealthy(base);
  log(`health: ${JSON.stringify(health)}`);
  await setUpFleet(base, token);
  log('live fleet configured (2 types, 3 jobs)');

  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height: 1000 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
  // Only the server itself may be asked for anything.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base + '/') || url === base || url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('about:')) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const t = msg.text();
    const m = t.match(/Failed to load resource: the server responded with a status of (\d+)/);
    if (m && allowedStatuses.has(Number(m[1]))) { ++expectedHits; return; }
    consoleErrors.push(t);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => failedRequests.push(`${req.method()} ${req.url()} (${req.failure()?.errorText ?? 'failed'})`));
  page.on('response', (res) => {
    if (res.status() >= 400) {
      const s = `${res.status()} ${res.request().method()} ${res.url().replace(base, '')}`;
      if (!allowedStatuses.has(res.status())) httpErrors.push(s);
    }
  });
  page.on('dialog', (d) => d.accept());

  if (lang === 'zh') {
    await chineseMode(page, base, token);
  } else {
    await englishHeader(page, base, token, health);
    await englishCatalog(page);
    await englishEstimate(page);
    await englishAuth(page, token, readOnly);
    const scenarioId = await englishScenarios(page, base, token);
    await englishRuns(page, scenarioId);
    await englishFleet(page);
  }

  // Polls keep running; give them a moment to surface late errors.
  await page.waitForTimeout(1500);
} catch (e) {
  failure = e instanceof Failure ? e.message : `${e.stack || e}`;
  if (context) {
    try { await shot(context.pages()[0], 'dashboard-failure.png'); } catch {}
  }
} finally {
  if (context) await context.close().catch(() => {});
  await stopServer().catch(() => {});
  clearTimeout(watchdog);
}

const failures = [];
if (failure) failures.push(failure);
for (const url of blocked) failures.push(`external request blocked: ${url}`);
for (const r of failedRequests) if (!blocked.some((b) => r.includes(b))) failures.push(`request failed: ${r}`);
for (const m of consoleErrors) failures.push(`console error: ${m}`);
for (const h of httpErrors) failures.push(`unexpected HTTP error: ${h}`);
for (const [s, views] of untranslated) {
  failures.push(`untranslated text in Chinese: ${JSON.stringify(s.slice(0, 200))} (${[...new Set(latinWords(s))].join(', ')}) in ${views.join('; ')}`);
}
if (failures.length > 0) {
  for (const f of failures) console.error(`dashboard: FAIL: ${f}`);
  if (failure && serverOutput) console.error(`server output:\n${serverOutput.slice(-3000)}`);
  process.exit(1);
}
log(`dashboard: OK (${expectedHits} provoked HTTP errors seen as expected)`);
process.exit(0);
