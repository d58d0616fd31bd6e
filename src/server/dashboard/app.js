// The ticketrail dashboard: one page over the JSON API at /api/v1, refreshed by polling. The
// token is kept in sessionStorage (this tab only) and sent as "Authorization: Bearer"; nothing
// else is stored. Every value from the server is written with textContent, never as HTML.
import { bucketByMinute, drawThroughput } from './chart.js';

const TOKEN_KEY = 'ticketrail.token';
const REFRESH_MS = 3_000;
const PAGE_SIZE = 25;
const HOUR_MINUTES = 60;

const page = {
  filters: { state: '', task: '', queue: '' },
  cursor: null,
  nextCursor: null,
  needsLogin: false,
  loading: false,
  // A refresh asked for while one runs (a new filter, a click) runs right after it.
  again: false,
};

const $ = (id) => document.getElementById(id);

class SignInNeeded extends Error {}

async function api(method, path, body) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) throw new SignInNeeded();
  const data = await response.json().catch(() => null);
  if (!response.ok)
    throw new Error(data?.error?.message ?? `the server answered ${response.status}`);
  return data;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child ?? '');
  return node;
}

function formatTime(value) {
  return value ? new Date(value).toLocaleString() : '-';
}

// To the millisecond: tries of a job often fall within one second.
function formatPrecise(value) {
  return new Date(value).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function formatAge(value) {
  if (!value) return '-';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(value)) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function showOnly(section) {
  for (const id of ['login', 'overview', 'detail', 'audit']) $(id).hidden = id !== section;
}

function setStatus(message, failed = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', failed);
}

// --- signing in ------------------------------------------------------------------------------

function askForToken(rejected) {
  page.needsLogin = true;
  showOnly('login');
  $('logout').hidden = true;
  $('login-error').textContent = rejected ? 'That token was not accepted.' : '';
  setStatus('');
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  try {
    await api('GET', '/stats');
  } catch (error) {
    if (error instanceof SignInNeeded) return askForToken(true);
    throw error;
  }
  page.needsLogin = false;
  $('logout').hidden = false;
  await render();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  askForToken(false);
}

// --- the overview: queues, throughput, jobs ---------------------------------------------------

function countLink(queue, state, count) {
  const link = element(
    'a',
    { href: '#/', 'data-queue': queue, 'data-state': state },
    String(count),
  );
  link.addEventListener('click', (event) => {
    event.preventDefault();
    setFilters({ queue, state, task: '' });
  });
  return link;
}

function renderQueues({ queues }) {
  const states = [
    'waiting',
    'scheduled',
    'available',
    'running',
    'completed',
    'failed',
    'cancelled',
  ];
  const rows = queues.map((queue) =>
    element(
      'tr',
      { 'data-queue': queue.name },
      element('td', {}, queue.name),
      ...states.map((state) =>
        element(
          'td',
          { class: `count ${state}` },
          countLink(queue.name, state, queue.counts[state]),
        ),
      ),
      element('td', { class: 'count' }, formatAge(queue.oldestDueAt)),
      element('td', { class: 'limits' }, formatLimits(queue)),
      element('td', { class: 'lane' }, laneState(queue), ' ', laneButton(queue)),
    ),
  );
  if (rows.length === 0)
    rows.push(element('tr', {}, element('td', { colspan: 10 }, 'No jobs yet.')));
  $('queues').tBodies[0].replaceChildren(...rows);
}

function formatLimits({ concurrency, rate }) {
  const limits = [];
  if (concurrency !== null) limits.push(`${concurrency} at once`);
  if (rate !== null) limits.push(`${rate.max} per ${formatWindow(rate.perMs)}`);
  return limits.length === 0 ? '-' : limits.join(', ');
}

function formatWindow(ms) {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}

function laneState(queue) {
  const state = queue.paused ? 'paused' : 'active';
  return element('span', { class: `lane-state ${state}`, 'data-lane-state': state }, state);
}

// Pausing stops every worker of the database from starting this lane's jobs; running ones finish.
function laneButton(queue) {
  const action = queue.paused ? 'resume' : 'pause';
  const button = element(
    'button',
    { type: 'button', class: 'lane-action', 'data-action': action },
    queue.paused ? 'Resume' : 'Pause',
  );
  button.addEventListener('click', () => void setLane(queue.name, action, button));
  return button;
}

async function setLane(name, action, button) {
  button.disabled = true;
  try {
    await api('POST', `/queues/${encodeURIComponent(name)}/${action}`);
    setStatus(`queue ${name} ${action === 'pause' ? 'paused' : 'resumed'}`);
  } catch (error) {
    if (error instanceof SignInNeeded) return askForToken(false);
    setStatus(error.message, true);
  }
  await refresh();
}

function renderThroughput({ since, minutes }) {
  const buckets = bucketByMinute(minutes, Date.parse(since), HOUR_MINUTES);
  const completed = buckets.reduce((sum, bucket) => sum + bucket.completed, 0);
  const failed = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
  const rate = completed + failed === 0 ? 0 : (failed / (completed + failed)) * 100;
  $('throughput-summary').textContent =
    `${completed} completed, ${failed} failed (failure rate ${rate.toFixed(1)}%), ` +
    `${(completed / HOUR_MINUTES).toFixed(1)} jobs/min on average`;
  drawThroughput($('throughput-chart'), buckets);
}

function renderJobs({ jobs, nextCursor }) {
  page.nextCursor = nextCursor;
  const rows = jobs.map((job) =>
    element(
      'tr',
      { 'data-job-id': job.id, 'data-state': job.state },
      element('td', {}, element('a', { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.id)),
      element('td', {}, job.task),
      element('td', {}, job.queue),
      element('td', {}, element('span', { class: `state ${job.state}` }, job.state)),
      element('td', { class: 'count' }, `${job.attempt}/${job.maxAttempts}`),
      element('td', {}, formatTime(job.createdAt)),
      element('td', {}, formatTime(job.finishedAt)),
    ),
  );
  if (rows.length === 0)
    rows.push(element('tr', {}, element('td', { colspan: 7 }, 'No jobs match.')));
  $('jobs').tBodies[0].replaceChildren(...rows);
  $('next-page').disabled = nextCursor === null;
  $('first-page').disabled = page.cursor === null;
}

// Next fire times in the schedule's own zone, as its cron reads, with the zone named.
function formatInZone(value, timeZone) {
  if (!value) return '-';
  return new Date(value).toLocaleString(undefined, { timeZone, timeZoneName: 'short' });
}

function renderSchedules({ schedules }) {
  const rows = schedules.map((schedule) =>
    element(
      'tr',
      { 'data-schedule': schedule.name },
      element('td', {}, schedule.name),
      element('td', {}, element('code', {}, schedule.cron)),
      element('td', {}, schedule.timezone),
      element('td', {}, schedule.task),
      element('td', {}, formatInZone(schedule.nextFireAt, schedule.timezone)),
      element('td', {}, formatTime(schedule.lastFiredAt)),
    ),
  );
  if (rows.length === 0)
    rows.push(element('tr', {}, element('td', { colspan: 6 }, 'No cron schedules.')));
  $('schedules').tBodies[0].replaceChildren(...rows);
}

function jobsQuery() {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [name, value] of Object.entries(page.filters)) if (value) query.set(name, value);
  if (page.cursor) query.set('cursor', page.cursor);
  return `/jobs?${query}`;
}

async function renderOverview() {
  const [queues, throughput, jobs, schedules] = await Promise.all([
    api('GET', '/queues'),
    api('GET', `/throughput?minutes=${HOUR_MINUTES}`),
    api('GET', jobsQuery()),
    api('GET', '/schedules'),
  ]);
  showOnly('overview');
  renderQueues(queues);
  renderThroughput(throughput);
  renderJobs(jobs);
  renderSchedules(schedules);
}

function setFilters(filters) {
  page.filters = filters;
  page.cursor = null;
  const form = $('filters');
  for (const [name, value] of Object.entries(filters)) form.elements[name].value = value;
  void refresh();
}

async function find(event) {
  event.preventDefault();
  const wanted = $('search').elements.q.value.trim();
  $('search-result').textContent = '';
  if (!wanted) return;
  if (/^[0-9]+$/.test(wanted)) {
    const byId = await api('GET', `/jobs/${wanted}`).catch(() => null);
    if (byId) return void (location.hash = `#/jobs/${byId.id}`);
  }
  const byKey = await api('GET', `/jobs?key=${encodeURIComponent(wanted)}&limit=1`).catch(() => ({
    jobs: [],
  }));
  if (byKey.jobs.length > 0) return void (location.hash = `#/jobs/${byKey.jobs[0].id}`);
  $('search-result').textContent = `No job has the id or key "${wanted}".`;
}

async function retryFailed() {
  const { queue, task } = page.filters;
  const scope = [queue && `queue ${queue}`, task && `task ${task}`].filter(Boolean).join(', ');
  if (!confirm(`Retry every failed job${scope ? ` of ${scope}` : ''}?`)) return;
  const body = {};
  if (queue) body.queue = queue;
  if (task) body.task = task;
  const { retried } = await api('POST', '/jobs/retry-failed', body);
  setStatus(`${retried} failed jobs retried`);
  await refresh();
}

// --- one job --------------------------------------------------------------------------------

function json(value) {
  return value === null || value === undefined ? '(none)' : JSON.stringify(value, null, 2);
}

function renderJob(job) {
  showOnly('detail');
  $('detail-title').textContent = `Job ${job.id}: ${job.task}`;
  const fields = [
    ['state', element('span', { class: `state ${job.state}`, id: 'detail-state' }, job.state)],
    ['queue', job.queue],
    ['tries', `${job.attempt} of ${job.maxAttempts}`],
    ['priority', String(job.priority)],
    ['key', job.key ?? '-'],
    ['timeout', job.timeoutMs === null ? '-' : `${job.timeoutMs} ms`],
    ['progress', job.progress === null ? '-' : JSON.stringify(job.progress)],
    ['batch', job.batchId ?? '-'],
    [
      'depends on',
      job.dependsOn.length === 0
        ? '-'
        : element(
            'span',
            {},
            ...job.dependsOn.flatMap((id, index) => [
              index === 0 ? '' : ', ',
              element('a', { href: `#/jobs/${encodeURIComponent(id)}` }, id),
            ]),
          ),
    ],
  ];
  $('detail-fields').replaceChildren(
    ...fields.flatMap(([name, value]) => [element('dt', {}, name), element('dd', {}, value)]),
  );
  const events = [
    ['created', job.createdAt],
    ['due (latest)', job.runAt],
    ...job.errors.map((error) => [`try ${error.attempt} failed: ${error.name}`, error.at]),
    ['latest try started', job.startedAt],
    [`finished (${job.state})`, job.finishedAt],
  ]
    .filter(([, at]) => at)
    .sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
  $('timeline').replaceChildren(
    ...events.map(([what, at]) =>
      element('li', {}, element('time', { datetime: at }, formatPrecise(at)), ` ${what}`),
    ),
  );
  $('payload').textContent = json(job.payload);
  $('result').textContent = json(job.result);
  $('errors').replaceChildren(
    ...(job.errors.length === 0
      ? [element('p', {}, 'None.')]
      : job.errors.map((error) =>
          element(
            'details',
            { class: 'try-error', open: '' },
            element(
              'summary',
              {},
              `Try ${error.attempt}, ${formatTime(error.at)}: ${error.name}: ${error.message}`,
            ),
            element('pre', {}, error.stack ?? '(no stack)'),
          ),
        )),
  );
  $('retry').disabled = !['failed', 'cancelled'].includes(job.state);
  $('cancel').disabled = !['waiting', 'scheduled', 'available', 'running'].includes(job.state);
  // A running job is cancelled first: its worker learns of that through its lease.
  $('delete').disabled = job.state === 'running';
  $('delete').title = job.state === 'running' ? 'Cancel the job first' : '';
}

async function deleteJob() {
  const id = currentJobId();
  if (!confirm(`Delete job ${id}? It cannot be brought back.`)) return;
  $('action-result').textContent = '';
  try {
    await api('DELETE', `/jobs/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof SignInNeeded) return askForToken(false);
    $('action-result').textContent = error.message;
    return;
  }
  setStatus(`job ${id} deleted`);
  location.hash = '#/';
}

async function act(action) {
  const id = currentJobId();
  $('action-result').textContent = '';
  try {
    const job = await api('POST', `/jobs/${encodeURIComponent(id)}/${action}`);
    $('action-result').textContent = action === 'retry' ? 'Retried: due now.' : 'Cancelled.';
    renderJob(job);
  } catch (error) {
    if (error instanceof SignInNeeded) return askForToken(false);
    $('action-result').textContent = error.message;
  }
}

function currentJobId() {
  const match = /^#\/jobs\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

// --- the route audit -------------------------------------------------------------------------

const AUDIT_KINDS = ['http', 'smtp', 'dns', 'db'];

function formatMs(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

function renderAuditRoutes({ file, routes }) {
  $('audit-file').textContent = file;
  const rows = routes.map((route) =>
    element(
      'tr',
      { 'data-route': `${route.method} ${route.route}`, 'data-verdict': route.verdict },
      element('td', {}, `${route.method} ${route.route}`),
      element('td', { class: 'count' }, String(route.requests)),
      element('td', { class: 'count' }, formatMs(route.p50Ms)),
      element('td', { class: 'count' }, formatMs(route.p95Ms)),
      ...AUDIT_KINDS.map((kind) => {
        const share = route.shares[kind];
        return element(
          'td',
          { class: 'count' },
          share === undefined ? '-' : `${Math.round(share * 100)}%`,
        );
      }),
      element(
        'td',
        { class: route.reasons.length > 0 ? 'verdict candidate' : 'verdict' },
        route.verdict,
      ),
    ),
  );
  if (rows.length === 0)
    rows.push(element('tr', {}, element('td', { colspan: 9 }, 'No requests audited yet.')));
  $('audit-routes').tBodies[0].replaceChildren(...rows);
  const reasons = routes.flatMap((route) =>
    route.reasons.map((reason) => element('li', {}, `${route.method} ${route.route}: ${reason}`)),
  );
  if (reasons.length === 0) reasons.push(element('li', {}, 'No route is a candidate.'));
  $('audit-reasons').replaceChildren(...reasons);
}

async function renderAudit() {
  showOnly('audit');
  $('audit-problem').textContent = '';
  try {
    renderAuditRoutes(await api('GET', '/audit'));
  } catch (error) {
    if (error instanceof SignInNeeded) throw error;
    // No file configured or written yet: say so on the page, which stays usable.
    $('audit-problem').textContent = error.message;
    $('audit-routes').tBodies[0].replaceChildren();
    $('audit-reasons').replaceChildren();
  }
}

// --- refreshing -------------------------------------------------------------------------------

async function render() {
  if (location.hash === '#/audit') return renderAudit();
  const id = currentJobId();
  if (id === null) return renderOverview();
  return renderJob(await api('GET', `/jobs/${encodeURIComponent(id)}`));
}

async function refresh() {
  if (page.needsLogin) return;
  if (page.loading) return void (page.again = true);
  page.loading = true;
  try {
    await render();
    $('logout').hidden = !sessionStorage.getItem(TOKEN_KEY);
    setStatus(`updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    if (error instanceof SignInNeeded) askForToken(Boolean(sessionStorage.getItem(TOKEN_KEY)));
    else setStatus(error.message, true);
  } finally {
    page.loading = false;
  }
  if (page.again) {
    page.again = false;
    await refresh();
  }
}

function start() {
  $('login-form').addEventListener('submit', (event) => void signIn(event).catch(showError));
  $('logout').addEventListener('click', signOut);
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target.elements;
    setFilters({
      state: form.state.value,
      task: form.task.value.trim(),
      queue: form.queue.value.trim(),
    });
  });
  $('search').addEventListener('submit', (event) => void find(event).catch(showError));
  $('retry-failed').addEventListener('click', () => void retryFailed().catch(showError));
  $('next-page').addEventListener('click', () => {
    if (page.nextCursor === null) return;
    page.cursor = page.nextCursor;
    void refresh();
  });
  $('first-page').addEventListener('click', () => {
    page.cursor = null;
    void refresh();
  });
  $('retry').addEventListener('click', () => void act('retry'));
  $('cancel').addEventListener('click', () => void act('cancel'));
  $('delete').addEventListener('click', () => void deleteJob());
  window.addEventListener('hashchange', () => {
    $('action-result').textContent = '';
    void refresh();
  });
  setInterval(() => {
    if ($('live').checked && !document.hidden) void refresh();
  }, REFRESH_MS);
  void refresh();
}

function showError(error) {
  if (error instanceof SignInNeeded) return askForToken(true);
  setStatus(error.message, true);
}

start();
