import { after, afterEach, beforeEach } from 'node:test';

import type { TransactionClient } from '../../src/core/enqueue-options.js';
import type { Store } from '../../src/stores/store.js';

/** An open transaction of the test database, for stores that enqueue inside one (`tx`). */
export interface TestTransaction {
  client: TransactionClient;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** Opens a fresh, empty store for one test; `close` also removes what the test left behind. */
export interface StoreHandle {
  store: Store;
  /** Opens a second store on the same database (another process would do the same). */
  reopen(): Promise<Store>;
  /** Begins a transaction on the store's database, as the application would (tx stores only). */
  beginTransaction?(): Promise<TestTransaction>;
  /** Counts the rows of the store's table of dependency links (what no API shows). */
  countLinks(): Promise<number>;
  close(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreHandle>;

/**
 * Registers hooks that open a fresh store before each test of the enclosing suite and close it
 * after; returns the handle of the running test.
 */
export function useFreshStore(factory: StoreFactory): () => StoreHandle {
  let handle: StoreHandle | undefined;
  const close = async () => {
    await handle?.close();
    handle = undefined;
  };
  beforeEach(async () => {
    await close();
    handle = await factory();
  });
  afterEach(close);
  // Node 20's runner runs no afterEach for a test that calls t.skip(), which left one
  // PostgreSQL schema behind per run: the next test's beforeEach, or the suite's end, closes
  // what is still open.
  after(close);
  return () => {
    if (handle === undefined) throw new Error('no store: call inside a test');
    return handle;
  };
}
