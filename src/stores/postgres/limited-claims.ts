// Claims from lanes with limits (concurrency, rate, group limits). Each such claim runs in a
// transaction that locks the lanes' settings rows, so the counts it checks (jobs running,
// recent starts) cannot change before its own claim; lanes without limits never come here and
// keep the one-statement claim. The fair order between groups is in schedule/group-fairness.ts.
import type pg from 'pg';

import { isGrouped, type QueueConfig } from '../../core/queue-config.js';
import { groupLogKey, interleave, MAX_GROUPS_PER_CLAIM } from '../../schedule/group-fairness.js';
import {
  groupLimits,
  laneAllowance,
  parseStartLog,
  recordStarts,
  type StartLog,
} from '../../schedule/lane-limits.js';
import type { ClaimRequest } from '../store.js';
import {
  lockedLaneConfig,
  ROW_GROUP,
  ROW_STARTED_AT,
  type JobRow,
  type LimitedLaneRow,
} from './rows.js';
import type { Statements } from './statements.js';

// How long the list of limited lanes is trusted; a lane limited meanwhile by another process is
// left out of claims (never over-served) until the next read.
const LANES_TTL_MS = 1_000;

type GroupStatement =
  | 'pendingGroups'
  | 'countRunningByGroup'
  | 'selectGroupStarts'
  | 'saveGroupStarts'
  | 'dueInGroups'
  | 'dueWithoutGroup'
  | 'claimByIds';
/** A due job of a group: group (null: none), id, priority, due ms. */
type DueRow = [group: string | null, id: string, priority: number, runAtMs: number];
type Values = unknown[];

/** Runs one of the store's statements, on `client` when given (the claim's transaction). */
export type RunStatement = <Row extends unknown[]>(
  statement: Exclude<keyof Statements, 'listJobs' | 'listJobsInParts'>,
  values: Values,
  client?: pg.PoolClient,
) => Promise<Row[]>;

/** The claims of one store from its limited lanes. */
export class LimitedClaims {
  readonly #query: RunStatement;
  readonly #withClient: <T>(step: (client: pg.PoolClient) => Promise<T>) => Promise<T>;
  #lanes: string[] = [];
  #readAtMs = -Infinity;
  // Counts forget() calls, so that a read begun before one is not taken as fresh.
  #generation = 0;
  #refreshing: Promise<void> | null = null;

  constructor(
    query: RunStatement,
    withClient: <T>(step: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {
    this.#query = query;
    this.#withClient = withClient;
  }

  /** Forgets the list of limited lanes: a lane's settings changed in this process. */
  forget(): void {
    this.#readAtMs = -Infinity;
    this.#generation += 1;
  }

  /**
   * The limited lanes among those asked for. The list is read before the first claim and after
   * forget(); past LANES_TTL_MS the list in hand is used while a fresh one is read for the next
   * claim, so that no claim (a pickup on an idle worker) waits for that read. Safe because the
   * claim statements themselves leave out lanes limited meanwhile (see `claim` in statements.ts),
   * and the locked claim rechecks the limits of the lanes it is given.
   */
  async lanes(queues: readonly string[] | null): Promise<string[]> {
    if (this.#readAtMs === -Infinity) await this.#readLanes();
    else if (Date.now() - this.#readAtMs >= LANES_TTL_MS) this.#refreshLanes();
    return queues === null ? this.#lanes : this.#lanes.filter((lane) => queues.includes(lane));
  }

  async #readLanes(): Promise<void> {
    const readAtMs = Date.now();
    const generation = this.#generation;
    const rows = await this.#query<[string]>('selectLimitedLanes', []);
    // A forget() while the read was in flight wins: its change may postdate what was read.
    if (generation !== this.#generation) return;
    this.#lanes = rows.map((row) => row[0]);
    this.#readAtMs = readAtMs;
  }

  // One background read at a time; a failure leaves the list as it was, to be read again at the
  // next claim (the claim itself then reports an unreachable database).
  #refreshLanes(): void {
    if (this.#refreshing !== null) return;
    this.#refreshing = this.#readLanes()
      .catch(() => undefined)
      .finally(() => (this.#refreshing = null));
  }

  /** Claims from the limited lanes of the request, up to its limit. */
  async claim(request: ClaimRequest): Promise<JobRow[]> {
    return this.#withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const locked = await this.#query<LimitedLaneRow>(
          'lockLimitedLanes',
          [request.queues],
          client,
        );
        const rows = locked.length === 0 ? [] : await this.#claimLocked(request, locked, client);
        await client.query('COMMIT');
        return rows;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async #claimLocked(
    request: ClaimRequest,
    locked: LimitedLaneRow[],
    client: pg.PoolClient,
  ): Promise<JobRow[]> {
    const names = locked.map((row) => row[0]);
    const counts = await this.#query<[string, number]>('countRunning', [names], client);
    const running = new Map(counts);
    const rows: JobRow[] = [];
    for (const row of locked) {
      const [name, , , , starts, nowMs] = row;
      const wanted = request.limit - rows.length;
      if (wanted <= 0) break;
      const config = lockedLaneConfig(row);
      const log = parseStartLog(starts);
      const allowed = laneAllowance(config, running.get(name) ?? 0, log, nowMs, wanted);
      const claimed =
        allowed === 0
          ? []
          : isGrouped(config)
            ? await this.#claimGrouped(request, config, allowed, nowMs, client)
            : await this.#query<JobRow>(
                'claimFromLimitedLane',
                [request.leaseMs, request.workerId, allowed, [name], request.tasks ?? null],
                client,
              );
      rows.push(...claimed);
      // Logged at the claim's own start time, which the rate promises about.
      const startedAtMs = claimed[0]?.[ROW_STARTED_AT] ?? nowMs;
      const next = recordStarts(config, log, startedAtMs, claimed.length);
      if (config.rate !== null && (claimed.length > 0 || next.length !== log.length)) {
        await this.#query('saveStarts', [name, JSON.stringify(next)], client);
      }
    }
    return rows;
  }

  // Fair order across the lane's groups, each within its own limits (see group-fairness.ts).
  // Runs under the lane's lock, in the claim's transaction.
  async #claimGrouped(
    request: ClaimRequest,
    config: QueueConfig,
    wanted: number,
    nowMs: number,
    client: pg.PoolClient,
  ): Promise<JobRow[]> {
    const lane = config.name;
    const query = <Row extends unknown[]>(statement: GroupStatement, values: Values) =>
      this.#query<Row>(statement, values, client);
    const groups = await query<[string]>('pendingGroups', [lane, MAX_GROUPS_PER_CLAIM]);
    const running = new Map(await query<[string | null, number]>('countRunningByGroup', [lane]));
    const starts = new Map(await query<[string, string]>('selectGroupStarts', [lane]));
    const limits = groupLimits(config);

    const logs = new Map<string | null, StartLog>();
    const allowed = new Map<string | null, number>();
    for (const group of [...groups.map(([name]) => name), null]) {
      const log = parseStartLog(starts.get(groupLogKey(group)) ?? null);
      logs.set(group, log);
      const count = laneAllowance(limits, running.get(group) ?? 0, log, nowMs, wanted);
      if (count > 0) allowed.set(group, count);
    }
    const named = [...allowed].filter(([group]) => group !== null) as [string, number][];
    const due = [
      ...(named.length === 0
        ? []
        : await query<DueRow>('dueInGroups', [
            lane,
            named.map(([group]) => group),
            named.map(([, count]) => count),
            request.tasks ?? null,
          ])),
      ...(allowed.has(null)
        ? await query<DueRow>('dueWithoutGroup', [lane, allowed.get(null), request.tasks ?? null])
        : []),
    ];
    const lists = new Map<string | null, { id: string; priority: number; runAtMs: number }[]>();
    for (const [group, id, priority, runAtMs] of due) {
      const list = lists.get(group) ?? [];
      list.push({ id, priority, runAtMs });
      lists.set(group, list);
    }
    const ids = interleave(
      [...lists].map(([group, list]) => ({ running: running.get(group) ?? 0, due: list })),
      wanted,
    );
    if (ids.length === 0) return [];

    const rows = await query<JobRow>('claimByIds', [request.leaseMs, request.workerId, ids]);
    if (config.groupRate !== null && rows.length > 0) {
      const startedAtMs = rows[0][ROW_STARTED_AT] ?? nowMs;
      const counts = new Map<string | null, number>();
      for (const row of rows) counts.set(row[ROW_GROUP], (counts.get(row[ROW_GROUP]) ?? 0) + 1);
      const entries = [...counts].map(([group, count]) => [
        groupLogKey(group),
        JSON.stringify(recordStarts(limits, logs.get(group) ?? [], startedAtMs, count)),
      ]);
      await query('saveGroupStarts', [
        lane,
        entries.map(([group]) => group),
        entries.map(([, log]) => log),
      ]);
    }
    return rows;
  }
}
