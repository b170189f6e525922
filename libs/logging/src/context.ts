import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and every event of one request (or one consumed message) carries. */
export interface RequestContext {
  correlationId: string;
  requestId?: string;
  actorId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Used by HTTP hooks that cannot wrap the handler: binds the context for the rest of the async chain. */
export function enterContext(context: RequestContext): void {
  storage.enterWith(context);
}
