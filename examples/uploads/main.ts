// Runs the upload example end to end on real parts, in one process:
//   npx tsx examples/uploads/main.ts [image-file]
// It uploads the image (or one it makes) over HTTP, follows the resize job's progress, prints
// the three sizes, then uploads a truncated copy and shows it fail once, without retries.
// In production the worker runs in its own process (`ticketrail worker`), on the same storage.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';
import { connect } from 'ticketrail';

import { resizeImage, UploadStorage } from './image-sizes.js';
import { startUploadServer } from './upload-server.js';

interface UploadStatus {
  uploadId: string;
  state: string;
  progress: unknown;
  sizes: { name: string; width: number; height: number; file: string }[] | null;
  error: string | null;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketrail-uploads-'));
// Errors only: the failed upload below is expected, and this script prints it.
const queue = await connect(`sqlite:${path.join(dir, 'queue.db')}`, { logLevel: 'error' });
try {
  const storage = new UploadStorage(dir);
  const server = await startUploadServer(queue, storage);
  // sharp runs on libuv's thread pool: a couple of images at a time keep a small host busy.
  queue.work({ 'resize-image': resizeImage(storage) }, { queues: ['images'], concurrency: 2 });

  const image = process.argv[2] ? await readFile(process.argv[2]) : await makeSampleImage();
  const done = await uploadAndFollow(server.url, image);
  for (const size of done.sizes ?? []) {
    console.log(`${size.name.padEnd(6)} ${size.width}x${size.height}  ${size.file}`);
  }

  const truncated = image.subarray(0, Math.floor(image.length / 2));
  const broken = await uploadAndFollow(server.url, truncated);
  console.log(`truncated upload: ${broken.state}: ${broken.error}`);

  await server.close();
  process.exitCode = done.state === 'completed' && broken.state === 'failed' ? 0 : 1;
} finally {
  await queue.close();
  await rm(dir, { recursive: true, force: true });
}

async function uploadAndFollow(url: string, image: Buffer): Promise<UploadStatus> {
  const response = await fetch(`${url}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: image,
  });
  const { uploadId, status } = (await response.json()) as { uploadId: string; status: string };
  console.log(`POST /uploads -> ${response.status}, upload ${uploadId}`);

  // Polled here for the demonstration; a browser would poll GET /uploads/:id the same way.
  let lastProgress = '';
  for (;;) {
    const current = (await (await fetch(`${url}${status}`)).json()) as UploadStatus;
    const progress = JSON.stringify(current.progress);
    if (current.progress !== null && progress !== lastProgress) {
      console.log(`  progress ${progress}`);
      lastProgress = progress;
    }
    if (current.state === 'completed' || current.state === 'failed') return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// A 2400x1600 photo-like JPEG (noise resists compression, so it weighs what a photo does).
function makeSampleImage(): Promise<Buffer> {
  return sharp({
    create: {
      width: 2400,
      height: 1600,
      channels: 3,
      background: '#4a7a9c',
      noise: { type: 'gaussian', mean: 120, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}
