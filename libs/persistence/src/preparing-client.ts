import { createHash } from 'node:crypto';
import { Client } from 'pg';

/** Distinct statements a connection keeps prepared; statements beyond it are sent unnamed (ADR 0020). */
export const PREPARED_PER_CONNECTION = 200;

const names = new Map<string, string>();

/** A statement's name: derived from its text, so every connection names the same text alike. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `c_${createHash('sha1').update(text).digest('base64url')}`;
    // Texts built with literals (a page's LIMIT) could grow the map without end: start again.
    if (names.size >= 10_000) names.clear();
    names.set(text, name);
  }
  return name;
}

/**
 * A `pg` client that prepares every parameterised statement once per connection (ADR 0020):
 * PostgreSQL then binds and runs the statement it already parsed and planned, instead of parsing
 * and planning the same text again on every call — three quarters of the server's CPU for a
 * typical statement of the services. Statements without parameters go as before (they may hold
 * several statements, which cannot be prepared). The pool creates these instead of plain clients
 * (`extra.Client` of the data source).
 */
export class PreparingClient extends Client {
  /** The statements this connection prepared (pg knows them too; this bounds their number). */
  readonly prepared = new Set<string>();

  forgetUnparsed(name: string): void {
    const parsed = (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements;
    if (parsed[name] === undefined) this.prepared.delete(name);
  }
}

const plainQuery = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;

// pg's query() has many overloads (their types stay those of Client); the form TypeORM and the
// services use for parameters is (text, values).
(PreparingClient.prototype as unknown as { query: (this: PreparingClient, ...args: unknown[]) => unknown }).query = function query(this: PreparingClient, ...args: unknown[]) {
  const [text, values, callback] = args;
  if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
    const name = statementName(text);
    if (this.prepared.has(name) || this.prepared.size < PREPARED_PER_CONNECTION) {
      this.prepared.add(name);
      const result = plainQuery.call(this, { name, text, values }, ...(callback === undefined ? [] : [callback]));
      // A statement that did not parse was not kept by the server: it does not count.
      if (result instanceof Promise) result.then(undefined, () => this.forgetUnparsed(name));
      return result;
    }
  }
  return plainQuery.apply(this, args);
};
