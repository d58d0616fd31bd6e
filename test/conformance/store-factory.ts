import type { Store } from '../../src/stores/store.js';

/** Opens a fresh, empty store for one test; `close` also removes what the test left behind. */
export interface StoreHandle {
  store: Store;
  /** Opens a second store on the same database (another process would do the same). */
  reopen(): Promise<Store>;
  close(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreHandle>;
