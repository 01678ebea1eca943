// Loads @segment/analytics-next in headless Chromium from pages served on loopback and
// points it at the service (settings from `GET {host}/v1/projects/{writeKey}/settings`,
// events to `{host}/v1/...`).
//
// Two pages, each in a fresh browser context:
// * browser/umd.html: the npm package's UMD build, `AnalyticsBrowser.load({writeKey,
//   cdnURL}, {integrations: {'Segment.io': {apiHost, protocol}}})`, then identify + group;
// * browser/standalone.html: the standalone build as Segment's snippet loads it, with the
//   snippet's `_cdn` set to the service; an identify buffered before the script loads.
//
// Input: SCENARIO (JSON: host, writeKey, umd {user, group}, standalone {user}) and
// optionally CHROMIUM (default /usr/bin/chromium).
// Output: one JSON line on stdout describing every request each page made to the service.
// Exits non-zero when a page fails, a request fails, or an expected request is missing.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const version = require('@segment/analytics-next/package.json').version;
const dist = path.join(path.dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd');

const scenario = JSON.parse(process.env.SCENARIO ?? '');
const host = new URL(scenario.host);
const config = {
  ...scenario,
  host: host.origin,
  apiHost: `${host.host}/v1`,
  protocol: host.protocol.replace(':', ''),
};

// The page server: the two pages, their config, and the package's built files (the
// entry scripts under /lib/, code-split chunks where webpack looks for them).
const served = [];
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  served.push({ path: url.pathname });
  const send = (status, type, body) => {
    served.at(-1).status = status;
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  if (url.pathname === '/config.js') {
    return send(200, 'text/javascript', `window.TEST_CONFIG = ${JSON.stringify(config)};`);
  }
  const pageName = url.pathname.match(/^\/(umd|standalone)\.html$/)?.[1];
  if (pageName) {
    return send(200, 'text/html', fs.readFileSync(path.join(here, 'browser', `${pageName}.html`)));
  }
  const file = url.pathname.match(/^\/(?:lib|analytics-next\/bundles)\/([\w.-]+\.js)$/)?.[1];
  if (file && fs.existsSync(path.join(dist, file))) {
    return send(200, 'text/javascript', fs.readFileSync(path.join(dist, file)));
  }
  if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
  return send(404, 'text/plain', 'not found');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// launch() gives the browser a fresh temporary profile (--user-data-dir) and removes it
// on close; each page also gets its own context (no shared cookies or storage).
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

const failures = [];

// Opens `name` in a fresh context and waits until every path in `expected` (relative to
// the service) has been answered.
async function visit(name, expected, resultExpression) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const pending = new Map();
  const log = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => failures.push(`${name}: page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url().startsWith(config.host)) pending.set(r, { method: r.method(), url: r.url() });
  });
  page.on('requestfinished', async (r) => {
    const entry = pending.get(r);
    if (!entry) return;
    const response = await r.response();
    entry.status = response?.status() ?? null;
    entry.contentType = r.headers()['content-type'] ?? null;
    requests.push(entry);
  });
  page.on('requestfailed', (r) => {
    const entry = pending.get(r);
    if (entry) requests.push({ ...entry, status: null, error: r.failure()?.errorText ?? 'failed' });
  });
  await page.goto(`${origin}/${name}.html`);
  if (resultExpression) {
    try {
      const result = await page.evaluate(resultExpression);
      if (result !== 'ok') failures.push(`${name}: page result ${JSON.stringify(result)}`);
    } catch (e) {
      failures.push(`${name}: ${e.message}`);
    }
  }
  const answered = () =>
    expected.every((p) => requests.some((r) => new URL(r.url).pathname === p && r.status !== undefined));
  const deadline = Date.now() + 15000;
  while (!answered() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!answered()) {
    failures.push(`${name}: no answer to ${expected.join(', ')} within 15 s (console: ${JSON.stringify(log)})`);
  }
  for (const r of requests) {
    if (r.status !== 200) failures.push(`${name}: ${r.method} ${r.url} answered ${r.status ?? r.error}`);
  }
  await context.close();
  return { page: name, requests, console: log };
}

const settings = `/v1/projects/${encodeURIComponent(config.writeKey)}/settings`;
const pages = [];
try {
  pages.push(await visit('umd', [settings, '/v1/i', '/v1/g'], () => window.testResult));
  pages.push(await visit('standalone', [settings, '/v1/i'], null));
} finally {
  const chromiumVersion = browser.version();
  await browser.close();
  server.close();
  console.log(
    JSON.stringify({ client: '@segment/analytics-next', version, chromium: chromiumVersion, pages, served, failures }),
  );
}
if (failures.length > 0) process.exit(1);
