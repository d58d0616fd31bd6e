// Durations of one route as a small log-scale histogram: bounded memory however many requests
// come, and mergeable by adding counts, which is what lets several processes and several flushes
// of one audit file be read back as one distribution.

/** Buckets per doubling: each bucket spans a factor 2^(1/8), so a quantile is off by under 5%. */
const BUCKETS_PER_DOUBLING = 8;
/** Durations under this (ms) share bucket 0: finer detail is noise for a route audit. */
const SMALLEST_MS = 0.01;

/** The stored form: `[bucket, count]` pairs, bucket ascending. */
export type HistogramData = Array<[number, number]>;

/** Counts of durations in log-scale buckets, with their exact sum. */
export class DurationHistogram {
  readonly #counts = new Map<number, number>();
  #count = 0;
  #sumMs = 0;

  /** Number of durations recorded. */
  get count(): number {
    return this.#count;
  }

  /** Sum of the durations recorded, in ms (exact, not bucketed). */
  get sumMs(): number {
    return this.#sumMs;
  }

  /** Records one duration in ms; negative values count as 0. */
  record(durationMs: number): void {
    const bucket = bucketOf(durationMs);
    this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + 1);
    this.#count += 1;
    this.#sumMs += Math.max(0, durationMs);
  }

  /** Adds another histogram's counts and sum to this one. */
  merge(data: HistogramData, sumMs: number): void {
    for (const [bucket, count] of data) {
      this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + count);
      this.#count += count;
    }
    this.#sumMs += sumMs;
  }

  /**
   * The duration under which a share `q` (0 to 1) of the recorded ones fall, in ms: the
   * geometric middle of the bucket holding it. 0 when nothing was recorded.
   */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (const [bucket, count] of this.toData()) {
      seen += count;
      if (seen >= rank) return middleOf(bucket);
    }
    return middleOf(Math.max(...this.#counts.keys()));
  }

  toData(): HistogramData {
    return [...this.#counts.entries()].sort((a, b) => a[0] - b[0]);
  }
}

function bucketOf(durationMs: number): number {
  if (!(durationMs > SMALLEST_MS)) return 0;
  return Math.ceil(Math.log2(durationMs / SMALLEST_MS) * BUCKETS_PER_DOUBLING);
}

// Bucket b holds (SMALLEST * 2^((b-1)/8), SMALLEST * 2^(b/8)].
function middleOf(bucket: number): number {
  if (bucket === 0) return 0;
  return SMALLEST_MS * 2 ** ((bucket - 0.5) / BUCKETS_PER_DOUBLING);
}
