// Shared by the browser tests (report_render.mjs, dashboard.mjs): finds
// Debian's Chromium and playwright-core (web/node_modules), or exits 77
// (CTest: skipped) saying which is missing and that `make deps` installs it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SKIP = 77;
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The headless flags every browser test launches Chromium with (no sandbox,
// GPU, QUIC, background networking, updates or sync; /tmp, not /dev/shm).
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

// Returns { chromium, executablePath }; `name` prefixes the skip message.
export function loadChromium(name) {
  const executablePath = process.env.SUANLI_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    console.log(`${name}: SKIPPED: no Chromium at ${executablePath} (Debian package chromium; run \`make deps\`)`);
    process.exit(SKIP);
  }
  try {
    const require = createRequire(join(repo, 'web', 'package.json'));
    const { chromium } = require('playwright-core');
    return { chromium, executablePath };
  } catch (e) {
    console.log(`${name}: SKIPPED: playwright-core is not installed in ${join(repo, 'web', 'node_modules')} ` +
                `(run \`make deps\` or \`npm ci --prefix web\`): ${e.message}`);
    process.exit(SKIP);
  }
}
