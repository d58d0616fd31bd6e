// How failures are printed: one line, and never a password from a database URL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { hideSecrets, oneLine } from '../../src/cli/report-failure.js';

describe('hideSecrets', () => {
  test('masks the password of any URL with credentials, keeping the rest', () => {
    const shown = hideSecrets('cannot reach postgres://app:s3cret@db:5432/jobs (timeout)');

    assert.equal(shown, 'cannot reach postgres://app:***@db:5432/jobs (timeout)');
  });

  test('masks password= parameters', () => {
    assert.equal(
      hideSecrets('bad url host=db password=s3cret&x=1'),
      'bad url host=db password=***&x=1',
    );
  });

  test('replaces the database URL given wherever it appears', () => {
    const url = 'postgres://db/jobs?user=app&password=s3cret';

    assert.equal(
      hideSecrets(`failed to open ${url}: refused`, url),
      'failed to open <database URL>: refused',
    );
  });

  test('keeps the placeholder "password" of a hint', () => {
    const hint = 'use "postgres://user:password@host:5432/db"';

    assert.equal(hideSecrets(hint), hint);
  });

  // Regression: "sqlite://x.db is ambiguous" was printed as "<database URL> is ambiguous".
  test('shows a URL that carries no password, so that a message can say what is wrong with it', () => {
    for (const url of ['sqlite://x.db', 'postgres://app@db:5432/jobs', 'mysql://db/x']) {
      assert.equal(hideSecrets(`"${url}" is ambiguous`, url), `"${url}" is ambiguous`);
    }
    const secret = 'postgres://app:s3cret@db/jobs';
    assert.equal(hideSecrets(`bad ${secret}`, secret), 'bad <database URL>');
  });

  test('leaves a URL without credentials as it is', () => {
    assert.equal(
      hideSecrets('cannot open sqlite:/tmp/q.db', 'sqlite:/tmp/q.db'),
      'cannot open sqlite:/tmp/q.db',
    );
  });
});

describe('oneLine', () => {
  test('joins the lines of a message with spaces', () => {
    assert.equal(
      oneLine('unknown option\n(Did you mean --queue?)\n'),
      'unknown option (Did you mean --queue?)',
    );
  });
});
