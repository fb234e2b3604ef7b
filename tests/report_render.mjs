#!/usr/bin/env node
// Opens a `suanli report` HTML file in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core from web/node_modules) and
// checks that it is a working, offline page:
//   - every <canvas data-chart> has a size and painted (non-transparent) pixels;
//   - the page asks for nothing but its own file (any other request is blocked
//     and fails the test), no request fails, no console error, no page error;
//   - the charts named by --expect-charts and the sections (<section id>)
//     named by --expect-sections are all there;
//   - at 1024, 1440 and 1920 px no table is cut behind an inner scroll, the
//     page does not scroll sideways and no two axis tick labels of a chart
//     overlap;
//   - with --lang zh: the page is <html lang="zh-CN"> and no string is left
//     untranslated (tests/untranslated.mjs: every Latin-letter word is data
//     the page marks translate="no", or a unit or acronym).
// It writes a full-page screenshot (the test artefact) either way.
//
//   node tests/report_render.mjs REPORT.html SCREENSHOT.png [--expect-charts a,b,c]
//                                [--expect-sections x,y] [--lang zh]
//
// Exit 0: all good (one line per chart); 1: a check failed (with the reason);
// 2: bad usage; 77: cannot run here (no Chromium or no playwright-core; run
// `make deps`) — CTest reports that as skipped.
// SUANLI_CHROMIUM overrides the browser path.
import { CHROMIUM_ARGS, loadChromium } from './chromium.mjs';
import { ALLOWED_WORDS, untranslatedInPage } from './untranslated.mjs';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MIN_PAINTED = 100;  // non-transparent pixels a drawn chart has at least
const WIDTHS = [1024, 1440, 1920];  // viewport widths the layout must hold at

function usage(msg) {
  console.error(`report_render: ${msg}`);
  console.error('usage: node tests/report_render.mjs REPORT.html SCREENSHOT.png [--expect-charts a,b,c] [--expect-sections x,y] [--lang zh]');
  process.exit(2);
}

const positional = [];
let expected = [];
let expectedSections = [];
let lang = 'en';
const argv = process.argv.slice(2);
const listOf = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === '--lang') {
    if (i + 1 >= argv.length || !['en', 'zh'].includes(argv[i + 1])) usage('--lang needs en or zh');
    lang = argv[++i];
  } else if (argv[i] === '--expect-sections') {
    if (i + 1 >= argv.length) usage('--expect-sections needs a list');
    expectedSections = listOf(argv[++i]);
  } else if (argv[i] === '--expect-charts') {
    if (i + 1 >= argv.length) usage('--expect-charts needs a list');
    expected = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
  } else if (argv[i].startsWith('--expect-charts=')) {
    expected = argv[i].slice('--expect-charts='.length).split(',').map((s) => s.trim()).filter(Boolean);
  } else if (argv[i].startsWith('--')) {
    usage(`unknown option ${argv[i]}`);
  } else {
    positional.push(argv[i]);
  }
}
if (positional.length !== 2) usage('need REPORT.html and SCREENSHOT.png');
const reportPath = resolve(positional[0]);
const screenshotPath = resolve(positional[1]);
if (!existsSync(reportPath) || !statSync(reportPath).isFile()) {
  console.error(`report_render: FAIL: ${reportPath} does not exist`);
  process.exit(1);
}

const { chromium, executablePath } = loadChromium('report_render');

// Runs in the page: every pair of neighbouring tick labels on every axis of
// every chart, measured as drawn (Chart.js's own label items: text, font,
// position, rotation), must not overlap. Horizontal labels on a horizontal
// axis need half their widths between centres; rotated ones need their line
// height across the rotation; labels on a vertical axis need half their
// heights. Returns one sentence per overlap.
function labelOverlaps() {
  const out = [];
  if (typeof Chart === 'undefined') return ['the chart library is not loaded'];
  const measure = document.createElement('canvas').getContext('2d');
  const lines = (label) => (Array.isArray(label) ? label.map(String) : [String(label)]);
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const chart = Chart.getChart(canvas);
    if (!chart) continue;
    for (const scale of Object.values(chart.scales)) {
      if (!scale.options.display || !scale.options.ticks || scale.options.ticks.display === false) continue;
      const items = (typeof scale.getLabelItems === 'function' ? scale.getLabelItems() : scale._labelItems) || [];
      const boxes = items.filter((it) => lines(it.label).some((l) => l.trim() !== '')).map((it) => {
        measure.font = it.font.string;
        const ls = lines(it.label);
        const w = Math.max(...ls.map((l) => measure.measureText(l).width));
        const h = it.font.lineHeight * ls.length;
        const [x, y] = it.options.translation;
        return { text: ls.join(' '), w, h, x, y, rot: it.options.rotation || 0 };
      });
      const horizontal = scale.isHorizontal();
      boxes.sort((a, b) => (horizontal ? a.x - b.x : a.y - b.y));
      for (let i = 1; i < boxes.length; ++i) {
        const a = boxes[i - 1], b = boxes[i];
        let gap, need;
        if (!horizontal) {
          gap = Math.abs(b.y - a.y);
          need = (a.h + b.h) / 2;
        } else if (Math.abs(a.rot) < 1e-3) {
          gap = Math.abs(b.x - a.x);
          need = (a.w + b.w) / 2;
        } else {
          gap = Math.abs(b.x - a.x) * Math.abs(Math.sin(a.rot));
          need = Math.max(a.h, b.h);
        }
        if (gap + 1 < need) {
          out.push(`chart ${canvas.getAttribute('data-chart')}, axis ${scale.id}: labels "${a.text}" and "${b.text}" overlap (${gap.toFixed(1)} px apart, ${need.toFixed(1)} px needed)`);
        }
      }
    }
  }
  return out;
}

const failures = [];
const blocked = [];
const failedRequests = [];
const consoleErrors = [];
const reportUrl = pathToFileURL(reportPath).href;
const userDataDir = mkdtempSync(join(tmpdir(), 'suanli-chromium-'));
let context;

// A hard stop, so a hung browser cannot hold CTest until its timeout.
const watchdog = setTimeout(() => {
  console.error('report_render: FAIL: timed out after 120 s');
  try { rmSync(userDataDir, { recursive: true, force: true }); } catch {}
  process.exit(1);
}, 120_000);

try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    deviceScaleFactor: 1,
    offline: true,
    timeout: 60_000,
  });
  // Only the report itself may be loaded: anything else is an external URL.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === reportUrl || url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('about:')) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    failedRequests.push(`${req.url()} (${req.failure()?.errorText ?? 'failed'})`);
  });

  await page.goto(reportUrl, { waitUntil: 'load', timeout: 60_000 });
  // Charts draw synchronously (no animation); one frame for layout to settle.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

  const charts = await page.evaluate(() => {
    return Array.from(document.querySelectorAll('canvas[data-chart]')).map((c) => {
      const r = { name: c.getAttribute('data-chart'), width: c.width, height: c.height,
                  cssWidth: c.clientWidth, cssHeight: c.clientHeight,
                  rendered: c.getAttribute('data-rendered') === 'true', painted: 0, error: '' };
      try {
        if (c.width > 0 && c.height > 0) {
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) ++r.painted;
        }
      } catch (e) {
        r.error = String(e);
      }
      return r;
    });
  });

  if (charts.length === 0) failures.push('the page has no canvas[data-chart]');
  for (const c of charts) {
    if (c.error) failures.push(`chart ${c.name}: cannot read pixels: ${c.error}`);
    else if (c.width === 0 || c.height === 0 || c.cssWidth === 0 || c.cssHeight === 0)
      failures.push(`chart ${c.name}: zero size (${c.cssWidth}x${c.cssHeight})`);
    else if (!c.rendered) failures.push(`chart ${c.name}: not drawn (no data-rendered mark)`);
    else if (c.painted <= MIN_PAINTED) failures.push(`chart ${c.name}: blank (${c.painted} painted pixels)`);
    console.log(`chart ${c.name}: ${c.painted} painted pixels (${c.cssWidth}x${c.cssHeight})`);
  }
  const present = new Set(charts.map((c) => c.name));
  for (const name of expected) if (!present.has(name)) failures.push(`expected chart ${name} is missing`);
  const sections = await page.evaluate(() =>
    Array.from(document.querySelectorAll('section[id]')).map((s) => ({ id: s.id, cells: s.querySelectorAll('td, li, p').length })));
  for (const id of expectedSections) {
    const s = sections.find((x) => x.id === id);
    if (!s) failures.push(`expected section #${id} is missing`);
    else if (s.cells === 0) failures.push(`section #${id} is empty`);
  }
  console.log(`sections: ${sections.map((s) => s.id).join(', ')}`);

  if (lang === 'zh') {
    const htmlLang = await page.evaluate(() => document.documentElement.lang);
    if (htmlLang !== 'zh-CN') failures.push(`<html lang="${htmlLang}">, expected zh-CN`);
    const left = await page.evaluate(untranslatedInPage, ALLOWED_WORDS);
    for (const l of left) failures.push(`untranslated: ${l}`);
    console.log(`Chinese: ${left.length} untranslated string(s)`);
  }

  mkdirSync(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  console.log(`screenshot: ${screenshotPath}`);

  // Nothing hidden by the layout at the widths buyers read on: no table
  // scrolls inside its box (a cell behind an inner scroll) and the page
  // itself does not scroll sideways.
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    // Chart.js resizes its canvases from a ResizeObserver: let it settle.
    await page.waitForTimeout(500);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const hidden = await page.evaluate(() => {
      const out = [];
      const doc = document.documentElement;
      if (doc.scrollWidth > doc.clientWidth + 1) {
        const wide = Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > doc.clientWidth + 1)
          .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '') + '(' + Math.round(e.getBoundingClientRect().width) + ')' +
                      (e.getAttribute('data-chart') ? `[${e.getAttribute('data-chart')}]` : '') + ' in #' + (e.closest('section') ? e.closest('section').id : '?'))
          .slice(0, 4);
        out.push(`the page scrolls sideways (${doc.scrollWidth} > ${doc.clientWidth} px): ${wide.join(', ')}`);
      }
      for (const w of document.querySelectorAll('.table-wrap')) {
        if (w.scrollWidth <= w.clientWidth + 1) continue;
        const section = w.closest('section');
        const head = Array.from(w.querySelectorAll('th')).map((th) => th.textContent).join(' | ');
        out.push(`a table in #${section ? section.id : '?'} is cut (${w.scrollWidth} > ${w.clientWidth} px): ${head.slice(0, 80)}`);
      }
      return out;
    });
    for (const h of hidden) failures.push(`at ${width} px: ${h}`);
    const overlaps = await page.evaluate(labelOverlaps);
    for (const o of overlaps) failures.push(`at ${width} px: ${o}`);
    console.log(`width ${width} px: ${hidden.length} hidden table(s), ${overlaps.length} overlapping axis label(s)`);
  }
} catch (e) {
  failures.push(`browser: ${e.message}`);
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
  clearTimeout(watchdog);
}

for (const url of blocked) failures.push(`external request blocked: ${url}`);
for (const r of failedRequests) if (!blocked.some((b) => r.startsWith(b))) failures.push(`request failed: ${r}`);
for (const m of consoleErrors) failures.push(`console error: ${m}`);

if (failures.length > 0) {
  for (const f of failures) console.error(`report_render: FAIL: ${f}`);
  process.exit(1);
}
console.log(`report_render: OK: ${reportPath}`);
