// How both stores write a job's backoff: as JSON text, encoded once per backoff object. Most
// jobs share the frozen default one, so a bulk enqueue encodes it once, not once per job.
import type { Backoff } from '../core/job.js';

const encoded = new WeakMap<Backoff, string>();

export function backoffJson(backoff: Backoff): string {
  let json = encoded.get(backoff);
  if (json === undefined) {
    json = JSON.stringify(backoff);
    encoded.set(backoff, json);
  }
  return json;
}
