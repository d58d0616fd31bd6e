// The /api/v1 schedule routes over real HTTP, on SQLite and on PostgreSQL: create or replace,
// list with next fire times, remove, and refusals that name the field.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startTestServer, type Backend, type TestServer } from './server-setup.js';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`HTTP schedule routes on ${backend}`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ backend });
    });
    after(async () => t.close());

    test('PUT creates then replaces a schedule; GET lists it with its next fire time', async () => {
      const created = await t.call('PUT', '/api/v1/schedules/nightly', {
        body: {
          cron: '30 2 * * *',
          task: 'send-report',
          payload: { to: 'ops' },
          timezone: 'Europe/Berlin',
          options: { queue: 'reports', attempts: 3 },
        },
      });
      assert.equal(created.status, 200, created.text);
      assert.equal(created.json.name, 'nightly');
      assert.deepEqual(created.json.options, { queue: 'reports', attempts: 3 });
      assert.equal(created.json.catchUp, 'latest');
      assert.equal(created.json.lastFiredAt, null);

      const replaced = await t.call('PUT', '/api/v1/schedules/nightly', {
        body: { cron: '0 3 * * *', task: 'send-report', catchUp: 'skip' },
      });
      assert.equal(replaced.status, 200, replaced.text);

      const listed = await t.call('GET', '/api/v1/schedules');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.json.schedules, [replaced.json]);
      const next = Date.parse(listed.json.schedules[0].nextFireAt);
      assert.ok(next > Date.now() && next <= Date.now() + 86_400_000);
      assert.equal(listed.json.schedules[0].timezone, 'UTC');
    });

    test('DELETE removes a schedule, and answers 404 for one that does not exist', async () => {
      await t.queue.schedule('to-remove', '* * * * *', 'noop');
      const removed = await t.call('DELETE', '/api/v1/schedules/to-remove');
      const again = await t.call('DELETE', '/api/v1/schedules/to-remove');

      assert.equal(removed.status, 200);
      assert.deepEqual(removed.json, { removed: 'to-remove' });
      assert.equal(again.status, 404);
      assert.equal(again.json.error.code, 'E_NOT_FOUND');
      assert.match(again.json.error.message, /schedule "to-remove" does not exist/);
    });

    const refusals: [string, object, string][] = [
      ['a bad cron', { cron: '61 * * * *', task: 't' }, 'cron'],
      ['an unknown time zone', { cron: '* * * * *', task: 't', timezone: 'Mars/Base' }, 'timezone'],
      ['a key option', { cron: '* * * * *', task: 't', options: { key: 'k' } }, 'options.key'],
      ['an unknown catch-up', { cron: '* * * * *', task: 't', catchUp: 'all' }, 'catchUp'],
      ['a missing task', { cron: '* * * * *' }, 'task'],
    ];
    for (const [what, body, field] of refusals) {
      test(`PUT refuses ${what} with 400 naming ${field}, and stores nothing`, async () => {
        const answer = await t.call('PUT', '/api/v1/schedules/refused', { body });
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.json.error.field, field);
        const names = (await t.queue.listSchedules()).map((schedule) => schedule.name);
        assert.ok(!names.includes('refused'));
      });
    }

    test('the routes need the token and are in the OpenAPI document', async () => {
      const anonymous = await t.call('GET', '/api/v1/schedules', { token: null });
      const document = await t.call('GET', '/api/v1/openapi.json');

      assert.equal(anonymous.status, 401);
      const paths = document.json.paths;
      assert.ok(paths['/api/v1/schedules'].get);
      assert.ok(paths['/api/v1/schedules/{name}'].put.requestBody);
      assert.equal(
        paths['/api/v1/schedules/{name}'].delete.responses[404].description,
        'No such schedule',
      );
    });
  });
}
