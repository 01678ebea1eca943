// Drives the service's web console (/console) in headless Chromium, as an operator would.
//
// Input: SCENARIO (JSON: host, token, writeKey, screenshots (a directory), user {userId,
// email}, lateUser {userId, email}, group {groupId}, tryEmail) and optionally CHROMIUM.
// Before it runs, the caller has sent an identify for `user` and a group naming
// `lateUser` (who does not exist yet), which becomes a dead letter.
//
// Steps: log in; see the identify on the Events page and open its trace; find the dead
// letter by filter, create the missing user (the fix), replay it and see it delivered;
// "Try it" with a pasted mapping shows the request body, and "send for real" shows
// Attio's answer; the configuration page; every page at a laptop and a narrow width, with
// a label on every control and no token or write key in it; the read-only pages without
// JavaScript. Screenshots of each page go to `screenshots`.
//
// Output: one JSON line on stdout with what was seen; exits non-zero on the first failure.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const sc = JSON.parse(process.env.SCENARIO ?? '');
const host = sc.host.replace(/\/$/, '');
fs.mkdirSync(sc.screenshots, { recursive: true });
const report = { steps: [], screenshots: [], pages: {} };
const step = (name, detail = {}) => report.steps.push({ name, ...detail });
const fail = (message) => {
  throw new Error(message);
};

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

const LAPTOP = { width: 1366, height: 900 };
const NARROW = { width: 390, height: 844 };

async function shot(page, name) {
  const file = path.join(sc.screenshots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  report.screenshots.push(file);
}

// Every control has a label, nothing secret is on the page, and at the narrow width
// the page itself does not scroll sideways (wide tables scroll in their own box).
async function checkPage(page, name) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => el.type !== 'hidden')
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.textContent || '').trim())
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  if (unlabelled.length) fail(`${name}: controls without a label: ${unlabelled.join(' | ')}`);
  const html = await page.content();
  for (const secret of [sc.token, sc.writeKey]) {
    if (html.includes(secret)) fail(`${name}: the page shows a secret`);
  }
  const viewport = page.viewportSize();
  await page.setViewportSize(NARROW);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) fail(`${name}: at ${NARROW.width}px the page is ${overflow}px wider than the window`);
  await shot(page, `${name}-narrow`);
  await page.setViewportSize(viewport);
  report.pages[name] = { labelled: true, narrowOverflow: overflow };
}

// Reloads `url` until `probe(page)` is true.
async function until(page, url, what, probe, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    if (await probe(page)) return;
    if (Date.now() > deadline) fail(`timed out waiting for ${what} at ${url}`);
    await page.waitForTimeout(300);
  }
}

async function post(pathname, body, headers) {
  const response = await fetch(`${host}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) fail(`POST ${pathname}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function getJson(pathname) {
  const response = await fetch(`${host}${pathname}`, { headers: { authorization: `Bearer ${sc.token}` } });
  if (!response.ok) fail(`GET ${pathname}: ${response.status}`);
  return response.json();
}

try {
  const context = await browser.newContext({ viewport: LAPTOP });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.accept();
  });

  // --- Log in ---------------------------------------------------------------------
  const first = await page.goto(`${host}/console`);
  if (first.status() !== 401) fail(`/console without a session answered ${first.status()}, not 401`);
  await shot(page, 'login');
  await page.getByLabel('Admin token').fill('not-the-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('That is not the admin token.').waitFor();
  await page.getByLabel('Admin token').fill(sc.token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'segment_attio_console');
  if (!session || !session.httpOnly || session.sameSite !== 'Strict') {
    fail(`the session cookie is not HttpOnly and SameSite=Strict: ${JSON.stringify(session)}`);
  }
  step('logged in', { cookie: { httpOnly: session.httpOnly, sameSite: session.sameSite } });

  // --- Overview -------------------------------------------------------------------
  await until(page, `${host}/console`, 'the overview to count the identify', async (p) =>
    (await p.locator('#subscriptions').innerText()).match(/identify users\s+1\s+1/) !== null,
  );
  const overview = await page.locator('#overview').innerText();
  if (!(await page.locator('figure.chart svg polyline').count())) fail('the overview has no chart');
  step('overview', { waiting: await page.locator('.card').first().innerText() });
  await shot(page, 'overview');
  await checkPage(page, 'overview');
  report.overview = overview;

  // --- Events: the identify, then its trace ---------------------------------------
  const eventsUrl = `${host}/console/events?who=${encodeURIComponent(sc.user.userId)}&type=identify`;
  await until(page, eventsUrl, 'the identify on the Events page', async (p) =>
    (await p.locator('#events tbody').innerText()).includes('delivered'),
  );
  await shot(page, 'events');
  await checkPage(page, 'events');
  await page.locator('#events tbody a').first().click();
  await page.getByRole('heading', { name: 'Event trace' }).waitFor();
  const traceState = await page.locator('#trace-state').innerText();
  const traceRequests = await page.locator('#trace-requests tbody').innerText();
  if (traceState !== 'delivered') fail(`the identify's trace says ${traceState}`);
  if (!traceRequests.includes('PUT') || !traceRequests.includes('200')) {
    fail(`the identify's trace shows no answered PUT: ${traceRequests}`);
  }
  step('identify traced', { state: traceState });
  await shot(page, 'trace');
  await checkPage(page, 'trace');

  // Live: a new identify appears on the open Events page without a reload.
  await page.goto(`${host}/console/events?type=identify`);
  const liveUser = `${sc.user.userId}-live`;
  await post('/v1/identify', { userId: liveUser, traits: { email: `live.${sc.user.email}` } }, {
    authorization: `Basic ${Buffer.from(`${sc.writeKey}:`).toString('base64')}`,
  });
  await page.locator('#events tbody', { hasText: liveUser }).waitFor({ timeout: 15000 });
  step('events page is live', { user: liveUser });

  // --- Dead letters: find, fix, replay ---------------------------------------------
  const dlUrl = `${host}/console/dead-letters?who=${encodeURIComponent(sc.group.groupId)}`;
  await until(page, dlUrl, 'the group dead letter', async (p) =>
    (await p.locator('#dead-letters tbody input[type=checkbox]').count()) === 1,
  );
  const dlText = await page.locator('#dead-letters tbody').innerText();
  if (!dlText.includes(sc.lateUser.userId)) fail(`the dead letter does not name the missing user: ${dlText}`);
  await shot(page, 'dead-letters');
  await checkPage(page, 'dead-letters');
  step('dead letter found by filter', { reason: dlText.slice(0, 300) });

  // The fix: the user the group names now exists.
  await post('/v1/identify', { userId: sc.lateUser.userId, traits: { email: sc.lateUser.email } }, {
    authorization: `Basic ${Buffer.from(`${sc.writeKey}:`).toString('base64')}`,
  });
  const deadline = Date.now() + 20000;
  while ((await getJson(`/events?user_id=${encodeURIComponent(sc.lateUser.userId)}&type=identify&state=delivered`)).events.length === 0) {
    if (Date.now() > deadline) fail('the fixing identify was not delivered');
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.goto(dlUrl);
  await page.locator('#dead-letters tbody input[type=checkbox]').check();
  await page.getByRole('button', { name: 'Replay selected' }).click();
  await page.locator('#dl-status', { hasText: 'moved back to the spool' }).waitFor();
  const replayStatus = await page.locator('#dl-status').innerText();
  step('replayed', { status: replayStatus, confirmation: dialogs.at(-1) });
  if (!dialogs.at(-1)?.includes('1 dead letter')) fail(`no confirmation for one dead letter: ${dialogs}`);
  const deliveredUrl = `${host}/console/events?who=${encodeURIComponent(sc.group.groupId)}&state=delivered`;
  await until(page, deliveredUrl, 'the replayed group delivered', async (p) =>
    (await p.locator('#events tbody a').count()) > 0,
  );
  await page.locator('#events tbody a').first().click();
  await page.getByRole('heading', { name: 'Event trace' }).waitFor();
  const replayedState = await page.locator('#trace-state').innerText();
  if (replayedState !== 'delivered') fail(`the replayed group's trace says ${replayedState}`);
  step('replayed group delivered', { state: replayedState });
  await shot(page, 'replayed-trace');

  // --- Try it -----------------------------------------------------------------------
  await page.goto(`${host}/console/try`);
  const event = { type: 'identify', userId: 'try-user', traits: { email: sc.tryEmail, title: 'Chief Tester' } };
  const mapping = {
    object: 'people',
    matching_attribute: 'email_addresses',
    attributes: { email_addresses: { '@path': '$.traits.email' }, job_title: { '@path': '$.traits.title' } },
  };
  await page.getByLabel('Event (Segment JSON)').fill(JSON.stringify(event, null, 2));
  await page.getByLabel('Subscription', { exact: true }).selectOption('__inline');
  await page.getByLabel('Action', { exact: true }).selectOption('assertRecord');
  await page.getByLabel('Mapping JSON').fill(JSON.stringify(mapping, null, 2));
  await page.getByLabel('FQL (empty: every event)').fill('type = "identify"');
  await page.getByRole('button', { name: 'Preview (sends nothing)' }).click();
  await page.locator('#try-output .request-body').first().waitFor();
  const body = JSON.parse(await page.locator('#try-output .request-body').first().innerText());
  const requestLine = await page.locator('#try-output .request').first().innerText();
  if (body?.data?.values?.job_title !== 'Chief Tester' || body?.data?.values?.email_addresses !== sc.tryEmail) {
    fail(`the previewed body is not the mapped event: ${JSON.stringify(body)}`);
  }
  step('try it preview', { request: requestLine, body });
  await shot(page, 'try');
  await checkPage(page, 'try');
  await page.getByRole('button', { name: 'Send for real' }).click();
  await page.locator('#try-output .sent').waitFor();
  const sent = await page.locator('#try-output .sent').innerText();
  if (!sent.includes('Attio accepted it') || !sent.includes('200')) fail(`send for real: ${sent}`);
  step('try it sent', { answer: sent });
  await shot(page, 'try-sent');

  // A configured subscription that rejects the event says why.
  await page.getByLabel('Event (Segment JSON)').fill(JSON.stringify({ ...event, traits: { email: 'not an address' } }));
  await page.getByLabel('Subscription', { exact: true }).selectOption('identify users');
  await page.getByRole('button', { name: 'Preview (sends nothing)' }).click();
  await page.locator('#try-output .error').waitFor();
  step('try it rejection', { reason: await page.locator('#try-output .error').first().innerText() });

  // --- Configuration ----------------------------------------------------------------
  await page.goto(`${host}/console/config`);
  const config = await page.locator('#config').innerText();
  if (!config.includes('identify users') || !config.includes('set (not shown)')) {
    fail(`the configuration page does not show the subscriptions and masked secrets: ${config.slice(0, 400)}`);
  }
  step('configuration', {});
  await shot(page, 'config');
  await checkPage(page, 'config');

  // --- Without JavaScript: log in and read ------------------------------------------
  const plain = await browser.newContext({ viewport: LAPTOP, javaScriptEnabled: false });
  const noJs = await plain.newPage();
  await noJs.goto(`${host}/console/login`);
  await noJs.getByLabel('Admin token').fill(sc.token);
  await noJs.getByRole('button', { name: 'Log in' }).click();
  await noJs.getByRole('heading', { name: 'Overview' }).waitFor();
  for (const [name, url, selector] of [
    ['overview', '/console', '#subscriptions'],
    ['events', `/console/events?who=${encodeURIComponent(sc.user.userId)}`, '#events tbody a'],
    ['dead-letters', '/console/dead-letters', '#dead-letters'],
    ['config', '/console/config', '#config-subscriptions'],
  ]) {
    await noJs.goto(`${host}${url}`);
    if (!(await noJs.locator(selector).count())) fail(`${name} without JavaScript shows no ${selector}`);
  }
  await noJs.locator('#events tbody a').first().click().catch(() => {});
  await noJs.goto(`${host}/console/events?who=${encodeURIComponent(sc.user.userId)}`);
  await noJs.locator('#events tbody a').first().click();
  await noJs.getByRole('heading', { name: 'Event trace' }).waitFor();
  step('read-only pages without JavaScript', {});
  await plain.close();

  // --- Log out --------------------------------------------------------------------
  await page.goto(`${host}/console`);
  await page.getByRole('button', { name: 'Log out' }).click();
  const after = await page.goto(`${host}/console/events`);
  if (after.status() !== 401) fail(`after logging out /console/events answered ${after.status()}`);
  step('logged out', {});
  await context.close();
  console.log(JSON.stringify({ ok: true, ...report }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error?.stack || error), ...report }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
