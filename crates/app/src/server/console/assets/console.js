// segment-attio console: refreshes the live parts of a page, drives the dead-letter
// actions and "Try it". Every page reads fine without it.
'use strict';

// Replaces the element with this id by the same element of a fresh copy of the page.
async function refresh(id) {
  const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(id);
  const current = document.getElementById(id);
  if (fresh && current) current.innerHTML = fresh.innerHTML;
}

function autoRefresh() {
  document.querySelectorAll('[data-refresh]').forEach((el) => {
    const every = Number(el.dataset.refresh) || 5000;
    setInterval(() => {
      if (document.visibilityState === 'visible') refresh(el.id).catch(() => {});
    }, every);
  });
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `${response.status} ${response.statusText}`);
  return answer;
}

// The current page's filters, as the dead-letter API takes them.
function currentFilter() {
  const filter = {};
  for (const [key, value] of new URLSearchParams(location.search)) {
    if (value && key !== 'limit') filter[key] = value;
  }
  return filter;
}

function deadLetters() {
  const status = document.getElementById('dl-status');
  if (!status) return;
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const action = button.dataset.action;
    let body;
    if (button.dataset.scope === 'one') {
      body = { ids: [Number(button.dataset.id)] };
    } else if (button.dataset.scope === 'selected') {
      const ids = [...document.querySelectorAll('input[name="id"]:checked')].map((box) => Number(box.value));
      if (ids.length === 0) {
        status.textContent = 'Select at least one dead letter first.';
        return;
      }
      body = { ids };
    } else {
      body = { filter: currentFilter() };
    }
    try {
      const preview = await api('POST', `/dead-letters/${action}`, { ...body, dry_run: true });
      const verb = action === 'replay' ? 'Replay (send again)' : 'Purge (delete for good)';
      if (!window.confirm(`${verb} ${preview.selected} dead letter(s)?`)) {
        status.textContent = 'Nothing was changed.';
        return;
      }
      const done = await api('POST', `/dead-letters/${action}`, body);
      status.textContent = action === 'replay'
        ? `${done.replayed} dead letter(s) moved back to the spool; they are being delivered again.`
        : `${done.purged} dead letter(s) deleted.`;
      await refresh('dl-results');
    } catch (error) {
      status.textContent = `Failed: ${error.message}`;
    }
  });
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function showRequest(parent, request) {
  parent.append(element('div', 'request', `${request.method} ${request.url}`));
  parent.append(element('pre', 'json request-body', JSON.stringify(request.body, null, 2)));
}

const OUTCOMES = {
  requests: 'would send these requests',
  rejected: 'REJECTED',
  batched: 'goes into a batch request',
};

// The preview is what `segment-attio test-event --json` prints: one item per event (the
// subscriptions it matches and each one's outcome), then one per batch request.
function showTry(output, answer) {
  output.replaceChildren();
  for (const item of answer.preview || []) {
    const box = element('div', 'result');
    if (item.batch_of !== undefined) {
      box.append(element('h3', '', `${item.subscription}: one batch request for ${item.batch_of} event(s)`));
      (item.requests || []).forEach((r) => showRequest(box, r));
    } else if (item.rejected) {
      box.append(element('h3', '', 'REJECTED'));
      box.append(element('p', 'error', item.rejected));
    } else if (item.filtered_by_integrations) {
      box.append(element('h3', '', "Not sent: the event's integrations object disables this destination"));
    } else if (!item.matched || item.matched.length === 0) {
      box.append(element('h3', '', 'The event matches no subscription (its FQL is false for it)'));
    } else {
      for (const result of item.results || []) {
        box.append(element('h3', '', `${result.subscription}: ${OUTCOMES[result.outcome] || result.outcome}`));
        if (result.outcome === 'rejected') box.append(element('p', 'error', result.detail));
        if (result.outcome === 'requests') result.detail.forEach((r) => showRequest(box, r));
      }
    }
    output.append(box);
  }
  if (answer.sent) {
    const box = element('div', 'result sent');
    box.append(element('h3', '', answer.sent.ok ? 'Sent: Attio accepted it' : `Sent: it failed: ${answer.sent.error}`));
    for (const r of answer.sent.attio_requests || []) {
      box.append(element('div', 'answer-line', `${r.method} ${r.path} → ${r.status ?? 'no answer'}`));
      if (r.error) box.append(element('pre', 'answer', r.error));
    }
    output.append(box);
  }
}

function tryIt() {
  const form = document.getElementById('try');
  if (!form) return;
  const output = document.getElementById('try-output');
  const status = document.getElementById('try-status');
  const recent = JSON.parse(document.getElementById('recent-events').textContent || '[]');
  document.getElementById('t-recent').addEventListener('change', (event) => {
    const picked = recent[Number(event.target.value)];
    if (event.target.value !== '' && picked !== undefined) {
      document.getElementById('t-event').value = JSON.stringify(picked, null, 2);
    }
  });
  const run = async (send) => {
    const field = (id) => document.getElementById(id);
    const subscription = field('t-subscription').value;
    const body = { event: field('t-event').value, send };
    if (subscription === '__inline') {
      body.action = field('t-action').value;
      body.mapping = field('t-mapping').value;
      body.subscribe = field('t-subscribe').value;
      body.default_mapping = field('t-default').checked;
    } else if (subscription) {
      body.subscription = subscription;
    }
    if (send && !window.confirm('Send this event to Attio for real?')) return;
    status.textContent = send ? 'Sending…' : 'Working…';
    try {
      showTry(output, await api('POST', '/try', body));
      status.textContent = send ? 'Sent (see Attio\'s answer below).' : 'Preview: nothing was sent.';
    } catch (error) {
      output.replaceChildren(element('p', 'error', error.message));
      status.textContent = 'Failed.';
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(false);
  });
  document.getElementById('t-send').addEventListener('click', () => run(true));
}

document.addEventListener('DOMContentLoaded', () => {
  autoRefresh();
  deadLetters();
  tryIt();
});
