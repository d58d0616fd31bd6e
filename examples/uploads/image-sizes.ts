// The resize job of the upload example: reads an uploaded original, makes three sizes of it with
// sharp and stores them beside it. What sharp cannot decode will never decode, so such an
// upload fails at once with a PermanentError; a failure to write the files is retried.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import sharp from 'sharp';
import { PermanentError, type JobContext } from 'ticketrail';

/** The sizes made of every upload: each fits inside a square of `maxPx`, keeping its shape. */
export const SIZES = [
  { name: 'large', maxPx: 1024 },
  { name: 'medium', maxPx: 512 },
  { name: 'thumb', maxPx: 128 },
] as const;

export type SizeName = (typeof SIZES)[number]['name'];

export interface ResizePayload {
  uploadId: string;
}

export interface StoredSize {
  name: SizeName;
  width: number;
  height: number;
  file: string;
}

/** Where the upload example keeps files: originals as uploaded, resized ones per upload. */
export class UploadStorage {
  constructor(readonly dir: string) {}

  originalPath(uploadId: string): string {
    return path.join(this.dir, 'originals', uploadId);
  }

  resizedPath(uploadId: string, size: SizeName): string {
    return path.join(this.dir, 'resized', uploadId, `${size}.webp`);
  }

  async saveOriginal(uploadId: string, bytes: Buffer): Promise<void> {
    await mkdir(path.dirname(this.originalPath(uploadId)), { recursive: true });
    await writeFile(this.originalPath(uploadId), bytes);
  }
}

/** The handler of the `resize-image` task, storing in `storage`. */
export function resizeImage(storage: UploadStorage) {
  return async ({ uploadId }: ResizePayload, ctx: JobContext): Promise<StoredSize[]> => {
    const original = await readFile(storage.originalPath(uploadId));
    const stored: StoredSize[] = [];
    for (const size of SIZES) {
      ctx.signal.throwIfAborted();
      const { data, info } = await decodeAndResize(uploadId, original, size.maxPx);
      const file = storage.resizedPath(uploadId, size.name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, data, { signal: ctx.signal });
      stored.push({ name: size.name, width: info.width, height: info.height, file });
      await ctx.progress({ done: stored.length, of: SIZES.length, last: size.name });
    }
    return stored;
  };
}

// Every error sharp raises here comes from the bytes of the upload (not an image, truncated,
// more pixels than sharp's limit), so another try would raise it again.
async function decodeAndResize(uploadId: string, original: Buffer, maxPx: number) {
  try {
    return await sharp(original)
      .rotate() // honour the EXIF orientation of phone photos
      .resize({ width: maxPx, height: maxPx, fit: 'inside', withoutEnlargement: true })
      .webp()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PermanentError(
      `upload ${uploadId} is not an image that can be read (${reason}); ask for a new upload`,
      { cause: error },
    );
  }
}
