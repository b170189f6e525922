import type { BeforeApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import type { Logger } from '@certhub/logging';
import type { Caller } from '@certhub/service-kit';
import { groupRoles } from './task-access';

/** The channel on which a task that someone can now take is announced (on commit). */
export const TASK_READY_CHANNEL = 'workbench_task_ready';

/** What an announcement says: the task, its group or holder, and its type (ids only, no personal data). */
export interface TaskReady {
  taskId: string;
  role: string;
  institutionId: string | null;
  assigneeId: string | null;
  type: string;
}

/** The notification (sent when the transaction commits) that a task became workable: created, given back, escalated, handed over. */
export function taskReadyNotice(ready: TaskReady): { channel: string; payload: string } {
  return { channel: TASK_READY_CHANNEL, payload: JSON.stringify(ready) };
}

/** Could this caller take (or does this caller hold) the announced task? */
export function readyFor(caller: Caller, type: string | null, ready: TaskReady): boolean {
  if (type !== null && ready.type !== type) return false;
  if (ready.assigneeId !== null) return ready.assigneeId === caller.sub;
  return groupRoles(caller).includes(ready.role) && (ready.institutionId === null || ready.institutionId === caller.institutionId);
}

interface Waiter {
  caller: Caller;
  type: string | null;
  /** The announcement that woke this waiter, until the waiter takes it. */
  woken?: TaskReady;
  wake(): void;
}

/** One registered wait. */
export interface TaskWait {
  /** Resolves with the announcement that woke it, or nothing at the deadline or on abort; leaves the queue either way. */
  until(deadline: number, signal?: AbortSignal): Promise<TaskReady | undefined>;
  /** Leaves the queue; returns an announcement that woke it meanwhile (not yet taken by `until`). */
  cancel(): TaskReady | undefined;
}

/**
 * "Next task" requests that wait for work (long poll) instead of asking again and again.
 *
 * Every change that makes a task workable is announced with NOTIFY in its own transaction, so the
 * announcement arrives after the commit; each workbench instance LISTENs on one connection of its
 * own and wakes the longest-waiting local request the task could be for — one per announcement,
 * not the whole group (the others would only race for the same row). A request woken for a task
 * that then takes a different one passes the announcement on ({@link pass}); one that finds
 * nothing (a colleague elsewhere took it) waits again until its deadline. Without the listening
 * connection (database restarting) waits fall back to asking every second.
 */
export class TaskWaiters implements BeforeApplicationShutdown {
  private client?: Client;
  private connecting?: Promise<void>;
  private listening = false;
  private stopped = false;
  private readonly waiters: Waiter[] = [];
  /** Announcements heard on the channel, and requests woken by one (counts only). */
  readonly stats = { heard: 0, woken: 0 };

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** After shutdown began nobody waits: requests answer with what there is. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Shutdown: waiting requests answer now (before the HTTP server waits for them to finish). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Registers before the caller looks for a task, so that an announcement between the look and the wait is not missed. */
  register(caller: Caller, type: string | null): TaskWait {
    this.ensureListening();
    let resolve: (() => void) | undefined;
    const waiter: Waiter = { caller, type, wake: () => resolve?.() };
    this.waiters.push(waiter);
    const leave = (): TaskReady | undefined => {
      const at = this.waiters.indexOf(waiter);
      if (at >= 0) this.waiters.splice(at, 1);
      const woken = waiter.woken;
      waiter.woken = undefined;
      return woken;
    };
    return {
      until: (deadline, signal) =>
        new Promise<TaskReady | undefined>((done) => {
          if (waiter.woken || signal?.aborted || this.stopped) return done(leave());
          // Without the listener nobody would wake us: look again in a second.
          const ms = Math.max(0, Math.min(deadline - Date.now(), this.listening ? Number.MAX_SAFE_INTEGER : 1000));
          const finish = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', finish);
            resolve = undefined;
            done(leave());
          };
          const timer = setTimeout(finish, ms);
          signal?.addEventListener('abort', finish, { once: true });
          resolve = finish;
        }),
      cancel: leave,
    };
  }

  /** Hands an announcement to the next request waiting for such a task (one that woke a request which took another). */
  pass(ready: TaskReady): void {
    const at = this.waiters.findIndex((w) => w.woken === undefined && readyFor(w.caller, w.type, ready));
    if (at < 0) return;
    const waiter = this.waiters[at]!;
    this.stats.woken += 1;
    waiter.woken = ready;
    waiter.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of [...this.waiters]) w.wake();
    await this.connecting?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private ensureListening(): void {
    if (this.stopped || this.client || this.connecting) return;
    this.connecting = this.listen()
      .catch((err: unknown) => {
        this.logger.warn('task announcements: cannot listen; waits ask every second meanwhile', { err });
        this.client = undefined;
        this.listening = false;
      })
      .finally(() => {
        this.connecting = undefined;
      });
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'workbench-task-waiters' });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== TASK_READY_CHANNEL || !message.payload) return;
      this.stats.heard += 1;
      try {
        this.pass(JSON.parse(message.payload) as TaskReady);
      } catch (err) {
        this.logger.warn('task announcements: unreadable payload ignored', { err });
      }
    });
    // A lost connection: waits fall back to asking every second until the next wait connects again.
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.listening = false;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (!this.stopped) this.logger.warn('task announcements: connection lost', { err });
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    await client.query(`LISTEN ${TASK_READY_CHANNEL}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    this.listening = true;
  }
}
