import type { LoggerService } from '@nestjs/common';
import { currentContext } from './context';
import { maskPersonalData, maskString } from './masking';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

const stdoutSink: LogSink = { write: (line) => process.stdout.write(line) };

/**
 * JSON-lines logger: one object per line with time, level, service, correlation id and
 * masked metadata. Implements Nest's LoggerService so the framework logs through it too.
 */
export class Logger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly sink: LogSink = stdoutSink,
    private readonly scope?: string,
  ) {}

  child(scope: string): Logger {
    return new Logger(this.service, this.level, this.sink, scope);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  info(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const ctx = currentContext();
    const line: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service: this.service,
    };
    // Nest passes the context name as the last string argument.
    let scope = this.scope;
    const meta: unknown[] = [];
    for (const item of rest) {
      if (typeof item === 'string' && scope === undefined) scope = item;
      else if (item !== undefined) meta.push(item);
    }
    if (scope) line.scope = scope;
    if (ctx?.correlationId) line.correlationId = ctx.correlationId;
    if (ctx?.requestId) line.requestId = ctx.requestId;
    if (ctx?.actorId) line.actorId = ctx.actorId;
    line.msg = typeof message === 'string' ? maskString(message) : maskPersonalData(message);
    for (const m of meta) {
      if (m && typeof m === 'object' && !(m instanceof Error) && !Array.isArray(m)) {
        Object.assign(line, maskPersonalData(m) as Record<string, unknown>);
      } else if (m instanceof Error) {
        line.err = maskPersonalData(m);
      } else if (typeof m === 'string') {
        line.detail = maskString(m);
      }
    }
    this.sink.write(`${JSON.stringify(line)}\n`);
  }
}
