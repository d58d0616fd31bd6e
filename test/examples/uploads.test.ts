// The upload example on real parts: its HTTP endpoint, a SQLite queue, a worker and sharp, with
// images the test makes. No part is replaced by a stand-in.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import sharp from 'sharp';

import { resizeImage, UploadStorage } from '../../examples/uploads/image-sizes.js';
import { startUploadServer, type UploadServer } from '../../examples/uploads/upload-server.js';
import { connect, type Job, type Queue, type Worker } from '../../src/index.js';
import { nextEvent } from '../helpers/queue.js';
import { runExample } from './run-example.js';

describe('example: upload processing', () => {
  let dir: string;
  let queue: Queue;
  let storage: UploadStorage;
  let server: UploadServer;
  let worker: Worker;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketrail-uploads-test-'));
    queue = await connect(`sqlite:${path.join(dir, 'queue.db')}`, { logLevel: 'silent' });
    storage = new UploadStorage(dir);
    server = await startUploadServer(queue, storage, { maxUploadBytes: 1_000_000 });
    worker = queue.work(
      { 'resize-image': resizeImage(storage) },
      { queues: ['images'], pollInterval: 20 },
    );
  });

  after(async () => {
    await server.close();
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function upload(body: Buffer, type = 'image/png'): Promise<Response> {
    return fetch(`${server.url}/uploads`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
  }

  async function uploadAndWait(body: Buffer, outcome: 'completed' | 'failed') {
    const response = await upload(body);
    assert.equal(response.status, 202);
    const { uploadId, jobId } = (await response.json()) as { uploadId: string; jobId: string };
    const job = await nextEvent(worker, outcome, jobId);
    return { uploadId, job: (await queue.getJob(job.id)) as Job };
  }

  it('resizes an upload to three sizes, stores them and reports progress', async () => {
    const image = await sharp({
      create: { width: 1600, height: 1200, channels: 3, background: '#2266aa' },
    })
      .png()
      .toBuffer();
    const { uploadId, job } = await uploadAndWait(image, 'completed');

    const expected = { large: [1024, 768], medium: [512, 384], thumb: [128, 96] };
    for (const [name, [width, height]] of Object.entries(expected)) {
      const file = path.join(dir, 'resized', uploadId, `${name}.webp`);
      const metadata = await sharp(file).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], ['webp', width, height]);
    }
    assert.deepEqual(job.progress, { done: 3, of: 3, last: 'thumb' });
    assert.equal(job.attempt, 1);

    const status = (await (await fetch(`${server.url}/uploads/${uploadId}`)).json()) as {
      state: string;
      sizes: { name: string; width: number }[];
    };
    assert.equal(status.state, 'completed');
    assert.deepEqual(
      status.sizes.map(({ name, width }) => [name, width]),
      [
        ['large', 1024],
        ['medium', 512],
        ['thumb', 128],
      ],
    );
  });

  it('keeps a small image at its size rather than enlarging it', async () => {
    const image = await sharp({
      create: { width: 300, height: 200, channels: 3, background: '#aa2266' },
    })
      .png()
      .toBuffer();
    const { uploadId } = await uploadAndWait(image, 'completed');
    const sizes = await Promise.all(
      ['large', 'medium', 'thumb'].map(async (name) => {
        const { width, height } = await sharp(
          storage.resizedPath(uploadId, name as 'thumb'),
        ).metadata();
        return [width, height];
      }),
    );
    assert.deepEqual(sizes, [
      [300, 200],
      [300, 200],
      [128, 85],
    ]);
  });

  it('fails a truncated or non-image upload after one try, with a clear error', async () => {
    const jpeg = await sharp({
      create: { width: 800, height: 600, channels: 3, background: '#22aa66' },
    })
      .jpeg()
      .toBuffer();
    const cases = [
      { body: jpeg.subarray(0, jpeg.length / 2), cause: /premature end of JPEG image/ },
      { body: Buffer.from('plain text, not an image'), cause: /unsupported image format/ },
    ];
    for (const { body, cause } of cases) {
      const { uploadId, job } = await uploadAndWait(body, 'failed');
      assert.equal(job.state, 'failed');
      assert.equal(job.maxAttempts, 3, 'two tries were left');
      assert.equal(job.attempt, 1, 'failed after one try');
      assert.equal(job.errors.length, 1);
      assert.equal(job.errors[0].name, 'PermanentError');
      assert.match(job.errors[0].message, new RegExp(`^upload ${uploadId} is not an image`));
      assert.match(job.errors[0].message, cause);
      assert.equal(existsSync(path.join(dir, 'resized', uploadId)), false, 'no size stored');

      const status = (await (await fetch(`${server.url}/uploads/${uploadId}`)).json()) as {
        state: string;
        error: string;
      };
      assert.deepEqual([status.state, status.error], ['failed', job.errors[0].message]);
    }
  });

  it('refuses a non-image, an empty or an oversized upload without enqueueing', async () => {
    const before = (await queue.stats()).total;
    const text = await upload(Buffer.from('hello'), 'text/plain');
    assert.equal(text.status, 415);
    assert.match(((await text.json()) as { error: string }).error, /image\/\*/);
    const empty = await upload(Buffer.alloc(0));
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as { error: string }).error, /empty/);
    const declared = await upload(Buffer.alloc(1_000_001));
    assert.equal(declared.status, 413);
    assert.match(((await declared.json()) as { error: string }).error, /at most 1000000 bytes/);
    assert.equal(await chunkedUpload(Buffer.alloc(1_500_000)), 413);
    const unknown = await fetch(`${server.url}/uploads/no-such-upload`);
    assert.equal(unknown.status, 404);
    assert.deepEqual((await queue.stats()).total, before);
  });

  // A body sent in chunks without a length: the server finds it too large while reading it.
  function chunkedUpload(body: Buffer): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const outgoing = request(`${server.url}/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'image/png', 'transfer-encoding': 'chunked' },
      });
      outgoing.once('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      outgoing.once('error', reject);
      for (let at = 0; at < body.length; at += 65_536)
        outgoing.write(body.subarray(at, at + 65_536));
      outgoing.end();
    });
  }

  it('runs as documented: npx tsx examples/uploads/main.ts', async () => {
    const { code, stdout, stderr } = await runExample('uploads/main.ts');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /large {2}1024x683 /);
    assert.match(stdout, /medium 512x341 /);
    assert.match(stdout, /thumb {2}128x85 /);
    assert.match(stdout, /truncated upload: failed: upload \S+ is not an image/);
  });
});
