// Sends one scenario's calls through an axios-based Segment-compatible Node client,
// pointed at the service: `node classic.mjs analytics-node` (Segment's classic
// analytics-node 6) or `node classic.mjs @rudderstack/rudder-sdk-node`.
//
// Input: the SCENARIO environment variable (JSON, see tests/clients/README.md); phases
// "main" and "alias" as send.mjs, and "rudder": identify (traits), identify with the
// traits only in context.traits (as RudderStack's browser SDK sends them), group.
// Output: one JSON line on stdout, {"client", "version", "responses": [{status, types,
// contentType, contentEncoding}], "failures"}. Exits non-zero when a call fails.
import { createRequire } from 'node:module';
import { gunzipSync, inflateSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const client = process.argv[2];
if (!['analytics-node', '@rudderstack/rudder-sdk-node'].includes(client)) {
  throw new Error(`unknown client ${JSON.stringify(client)}`);
}
const Analytics = require(client);
const { version } = require(`${client}/package.json`);

const scenario = JSON.parse(process.env.SCENARIO ?? '');
const analytics = new Analytics(scenario.writeKey, {
  host: scenario.host,
  flushAt: 50,
  flushInterval: 100,
  retryCount: 2,
  logLevel: 'error',
});

// Both libraries post through their axios instance: record every answer and what the
// request declared its body to be.
const responses = [];
const failures = [];
const header = (headers, name) => {
  const h = headers ?? {};
  const value = typeof h.get === 'function' ? h.get(name) : h[name] ?? h[name.toLowerCase()];
  return value == null ? null : String(value);
};
const record = (config, status) => {
  const encoding = header(config.headers, 'Content-Encoding');
  let body = config.data;
  if (typeof body !== 'string') {
    const bytes = Buffer.from(body);
    body = (encoding === 'gzip' ? gunzipSync(bytes) : encoding === 'deflate' ? inflateSync(bytes) : bytes).toString();
  }
  responses.push({
    status,
    types: JSON.parse(body).batch.map((e) => e.type),
    contentType: header(config.headers, 'Content-Type'),
    contentEncoding: encoding,
  });
};
analytics.axiosInstance.interceptors.response.use(
  (r) => {
    record(r.config, r.status);
    return r;
  },
  (e) => {
    if (e.config) record(e.config, e.response?.status ?? 0);
    return Promise.reject(e);
  },
);

const calls = [];
const call = (method, params) =>
  calls.push(
    new Promise((resolve) =>
      analytics[method](params, (err) => {
        if (err) failures.push(`${method}: ${err.message ?? err}`);
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
} else if (scenario.phase === 'rudder') {
  const { contextUser } = scenario;
  call('identify', { userId: user.userId, traits: { email: user.email, name: user.name } });
  call('identify', { userId: contextUser.userId, context: { traits: { email: contextUser.email, name: contextUser.name } } });
  call('group', { userId: user.userId, groupId: group.groupId, traits: { website: group.website, name: group.name } });
} else {
  throw new Error(`unknown phase ${JSON.stringify(scenario.phase)}`);
}

await Promise.all(calls);
await new Promise((resolve) => analytics.flush(() => resolve()));
console.log(JSON.stringify({ client, version, responses, failures }));
if (failures.length > 0) process.exit(1);
