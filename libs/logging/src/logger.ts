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
    // Nest calls error(message, stack?, context?): the last string is the context (scope); any
    // string before it is a stack or detail. Every string is masked.
    const strings = rest.filter((item): item is string => typeof item === 'string');
    const objects = rest.filter((item) => item !== undefined && typeof item !== 'string');
    const looksLikeStack = (text: string) => /\n\s+at /.test(text);
    const last = strings[strings.length - 1];
    const scope = this.scope ?? (last !== undefined && !looksLikeStack(last) ? last : undefined);
    const details = this.scope || scope === undefined ? strings : strings.slice(0, -1);
    const line: Record<string, unknown> = {};
    for (const m of objects) {
      if (m instanceof Error) line.err = maskPersonalData(m);
      else if (m && typeof m === 'object' && !Array.isArray(m)) Object.assign(line, maskPersonalData(m) as Record<string, unknown>);
      else line.meta = maskPersonalData(m);
    }
    if (details.length > 0) line.detail = maskString(details.join('\n'));
    // The line's own fields come last, so metadata can never overwrite them.
    Object.assign(line, {
      time: new Date().toISOString(),
      level,
      service: this.service,
      ...(scope ? { scope: maskString(scope) } : {}),
      ...(ctx?.correlationId ? { correlationId: ctx.correlationId } : {}),
      ...(ctx?.requestId ? { requestId: ctx.requestId } : {}),
      ...(ctx?.actorId ? { actorId: ctx.actorId } : {}),
      msg: typeof message === 'string' ? maskString(message) : maskPersonalData(message),
    });
    this.sink.write(`${JSON.stringify(line)}\n`);
  }
}
