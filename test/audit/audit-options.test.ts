// Bad audit options, spans, thresholds and files are refused with errors naming the field, the
// value and what to give instead; the CLI reports them in one line and exits 1.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import express from 'express';

import { createAudit, readAuditReport } from '../../src/audit/audit.js';
import { resolveAuditOptions } from '../../src/audit/audit-options.js';
import { NotFoundError, TicketrailError, ValidationError } from '../../src/index.js';
import { runCli } from '../cli/cli-process.js';

const folder = mkdtempSync(path.join(os.tmpdir(), 'ticketrail-audit-options-'));

function refuses(make: () => unknown, field: string, message: RegExp): void {
  assert.throws(make, (error: unknown) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

after(() => rmSync(folder, { recursive: true, force: true }));

describe('audit options', () => {
  it('defaults to off, the ./ticketrail-audit.jsonl file, 30 s flushes and the SMTP ports', () => {
    const saved = process.env.TICKETRAIL_AUDIT;
    delete process.env.TICKETRAIL_AUDIT;
    try {
      const options = resolveAuditOptions();
      assert.equal(options.enabled, false);
      assert.equal(options.file, './ticketrail-audit.jsonl');
      assert.equal(options.flushIntervalMs, 30_000);
      assert.deepEqual([...options.smtpPorts], [25, 465, 587, 2525]);
      process.env.TICKETRAIL_AUDIT = '1';
      assert.equal(resolveAuditOptions().enabled, true);
      assert.equal(resolveAuditOptions({ enabled: false }).enabled, false);
    } finally {
      if (saved === undefined) delete process.env.TICKETRAIL_AUDIT;
      else process.env.TICKETRAIL_AUDIT = saved;
    }
  });

  it('refuses an unknown option, naming the known ones', () => {
    refuses(
      () => createAudit({ enable: true } as never),
      'enable',
      /unknown option "enable"; the known ones are enabled, file/,
    );
  });

  it('refuses a non-boolean enabled, an empty file and a bad flush interval', () => {
    refuses(() => createAudit({ enabled: 'yes' as never }), 'enabled', /true or false, got "yes"/);
    refuses(() => createAudit({ file: ' ' }), 'file', /a path such as .* or null/);
    refuses(() => createAudit({ flushInterval: 'soon' }), 'flushInterval', /not a duration/);
    refuses(
      () => createAudit({ flushInterval: 10 }),
      'flushInterval',
      /flushInterval 10 is too short; give a duration from 100 ms to .*"30s" or more suits/,
    );
  });

  it('refuses SMTP ports that are not a list of ports', () => {
    refuses(() => createAudit({ smtpPorts: 25 as never }), 'smtpPorts', /an array of ports/);
    refuses(() => createAudit({ smtpPorts: [25, 0] }), 'smtpPorts[1]', /from 1 to 65535, got 0/);
  });

  it('refuses a span of an unknown kind, on or off', async () => {
    for (const enabled of [true, false]) {
      const audit = createAudit({ enabled, file: null });
      refuses(() => audit.span('ftp' as never, () => 1), 'kind', /one of http, smtp, dns, db/);
      await audit.close();
    }
  });

  it('returns what a span returns, and rethrows what it throws, outside a request too', async () => {
    const audit = createAudit({ enabled: true, file: null });
    try {
      assert.equal(
        audit.span('db', () => 7),
        7,
      );
      assert.equal(await audit.span('db', async () => 8), 8);
      assert.throws(
        () =>
          audit.span('db', () => {
            throw new Error('boom');
          }),
        /boom/,
      );
      await assert.rejects(
        audit.span('db', async () => Promise.reject(new Error('late'))),
        /late/,
      );
    } finally {
      await audit.close();
    }
  });

  it('refuses a negative report threshold', async () => {
    const audit = createAudit({ enabled: true, file: null });
    refuses(() => audit.report(-1), 'thresholdMs', /integer from 0 to 3600000, got -1/);
    await audit.close();
  });
});

describe('audit file', () => {
  it('reports a missing file with what to do', async () => {
    const file = path.join(folder, 'missing.jsonl');
    await assert.rejects(readAuditReport(file), (error: unknown) => {
      assert.ok(error instanceof NotFoundError);
      assert.match(error.message, /does not exist; turn the audit on in the app/);
      return true;
    });
  });

  it('names the file and line of a line that is not a record', async () => {
    const file = path.join(folder, 'bad.jsonl');
    writeFileSync(file, '\n{"v":1,"run":"a"}\n');
    await assert.rejects(readAuditReport(file), /bad\.jsonl:2 is not an audit record/);
  });

  it('writes no file when no request was audited', async () => {
    const file = path.join(folder, 'empty.jsonl');
    const audit = createAudit({ enabled: true, file });
    await audit.close();
    await assert.rejects(readAuditReport(file), /does not exist/);
  });

  // Regression: this was accepted, and the first close() rejected with a raw ENOENT.
  it('refuses, once turned on, a file whose folder does not exist or that is a folder', () => {
    refuses(
      () => createAudit({ enabled: true, file: '/nonexistent-dir/x.jsonl' }),
      'file',
      /file "\/nonexistent-dir\/x\.jsonl" cannot be written: its folder \/nonexistent-dir does not exist; create the folder/,
    );
    refuses(() => createAudit({ enabled: true, file: folder }), 'file', /it is a folder/);
    // Off, the file is never written, so an app may name one that only audit hosts have.
    assert.equal(createAudit({ enabled: false, file: '/nonexistent-dir/x.jsonl' }).enabled, false);
  });

  it('rejects a failed write with a ticketrail error naming the file, and keeps the figures', async () => {
    const dir = path.join(folder, 'goes-away');
    mkdirSync(dir);
    const file = path.join(dir, 'audit.jsonl');
    const audit = createAudit({ enabled: true, file });
    const app = express();
    app.use(audit.express());
    app.get('/ping', (_request, response) => response.send('pong'));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      await (await fetch(`http://127.0.0.1:${port}/ping`)).text();
      rmSync(dir, { recursive: true });

      await assert.rejects(audit.flush(), (error: unknown) => {
        assert.ok(error instanceof TicketrailError, String(error));
        assert.equal(error.code, 'E_AUDIT_FILE');
        assert.match(
          error.message,
          /cannot append to .*audit\.jsonl \(ENOENT\); check that its folder/,
        );
        return true;
      });
      mkdirSync(dir);
      await audit.close();
      const report = await readAuditReport(file);
      assert.deepEqual(
        report.routes.map((route) => [route.method, route.route, route.requests]),
        [['GET', '/ping', 1]],
      );
    } finally {
      server.close();
    }
  });

  it('makes the CLI exit 1 with one line for a missing file or a bad threshold', async () => {
    const missing = await runCli(['audit', 'report', '--file', path.join(folder, 'none.jsonl')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /none\.jsonl does not exist/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);

    const threshold = await runCli(['audit', 'report', '--threshold', 'soon']);
    assert.equal(threshold.code, 1);
    assert.match(threshold.stderr, /--threshold.*'soon' is invalid\. Give milliseconds/);
  });
});
