// Sends one scenario's calls through @segment/analytics-node, pointed at the service.
//
// Input: the SCENARIO environment variable (JSON, see tests/clients/README.md).
// Output: one JSON line on stdout, {"client", "version", "responses": [{status, types}]},
// where `types` are the event types of the batch the response answered. Exits non-zero
// when the library reports an error or a call's callback fails.
import { createRequire } from 'node:module';
import { Analytics } from '@segment/analytics-node';

const require = createRequire(import.meta.url);
const { version } = require('@segment/analytics-node/package.json');

const scenario = JSON.parse(process.env.SCENARIO ?? '');
const analytics = new Analytics({
  writeKey: scenario.writeKey,
  host: scenario.host,
  path: '/v1/batch',
  flushAt: 50,
  flushInterval: 100,
  maxRetries: 2,
  httpRequestTimeout: 10000,
});

const responses = [];
const failures = [];
analytics.on('http_response', (r) => {
  const types = JSON.parse(r.body).batch.map((e) => e.type);
  responses.push({ status: r.status, types });
});
analytics.on('error', (e) => failures.push(String(e?.reason ?? e?.code ?? e)));

// Every call's callback runs once the batch holding it was delivered (or failed).
const calls = [];
const call = (method, params) =>
  calls.push(
    new Promise((resolve) =>
      analytics[method](params, (err) => {
        if (err) failures.push(`${method}: ${err.reason ?? err.message ?? err}`);
        resolve();
      }),
    ),
  );

const { user, group, track, page, alias } = scenario;
if (scenario.phase === 'main') {
  call('identify', { userId: user.userId, traits: { email: user.email, name: user.name } });
  call('group', { userId: user.userId, groupId: group.groupId, traits: { website: group.website, name: group.name } });
  call('track', { userId: user.userId, event: track.event, properties: { email: track.email, job_title: track.jobTitle } });
  call('page', {
    userId: user.userId,
    category: page.category,
    name: page.name,
    properties: { path: page.path },
    context: { traits: { email: user.email } },
  });
} else if (scenario.phase === 'alias') {
  call('alias', { userId: alias.userId, previousId: alias.previousId, context: { traits: { email: user.email } } });
} else {
  throw new Error(`unknown phase ${JSON.stringify(scenario.phase)}`);
}

await Promise.all(calls);
await analytics.closeAndFlush({ timeout: 15000 });
console.log(JSON.stringify({ client: '@segment/analytics-node', version, responses, failures }));
if (failures.length > 0) process.exit(1);
