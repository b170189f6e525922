import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { currentContext, enterContext, runWithContext } from './context';
import { Logger, type LogLevel, type LogSink } from './logger';

/** A sink that keeps what the logger writes. */
class MemorySink implements LogSink {
  readonly raw: string[] = [];
  write(line: string): void {
    this.raw.push(line);
  }
  get lines(): Array<Record<string, unknown>> {
    return this.raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

function setup(level: LogLevel = 'info'): { sink: MemorySink; logger: Logger } {
  const sink = new MemorySink();
  return { sink, logger: new Logger('identity', level, sink) };
}

describe('Logger: JSON lines', () => {
  it('writes exactly one JSON object per call, terminated by a newline', () => {
    const { sink, logger } = setup();
    logger.info('first');
    logger.warn('second');
    assert.equal(sink.raw.length, 2);
    for (const raw of sink.raw) {
      assert.ok(raw.endsWith('\n'));
      assert.equal(raw.indexOf('\n'), raw.length - 1, 'a single line');
    }
    assert.deepEqual(
      sink.lines.map((l) => [l.level, l.msg]),
      [
        ['info', 'first'],
        ['warn', 'second'],
      ],
    );
  });

  it('carries time, level, service and msg (and nothing else without context or meta)', () => {
    const { sink, logger } = setup();
    const before = Date.now();
    logger.info('hello');
    const after = Date.now();
    const [line] = sink.lines;
    assert.deepEqual(Object.keys(line!).sort(), ['level', 'msg', 'service', 'time']);
    assert.equal(line!.level, 'info');
    assert.equal(line!.service, 'identity');
    assert.equal(line!.msg, 'hello');
    const time = line!.time as string;
    assert.match(time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Date.parse(time) >= before && Date.parse(time) <= after);
  });

  it('maps log → info, verbose → debug and fatal → error', () => {
    const { sink, logger } = setup('debug');
    logger.log('a');
    logger.verbose('b');
    logger.fatal('c');
    logger.debug('d');
    logger.error('e');
    assert.deepEqual(
      sink.lines.map((l) => l.level),
      ['info', 'debug', 'error', 'debug', 'error'],
    );
  });
});

describe('Logger: level filtering', () => {
  const all = (logger: Logger) => {
    logger.debug('d');
    logger.verbose('v');
    logger.info('i');
    logger.log('l');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
  };

  it('defaults to info: drops debug and verbose', () => {
    const sink = new MemorySink();
    all(new Logger('svc', undefined, sink));
    assert.deepEqual(
      sink.lines.map((l) => l.msg),
      ['i', 'l', 'w', 'e', 'f'],
    );
  });

  it('debug writes everything', () => {
    const { sink, logger } = setup('debug');
    all(logger);
    assert.deepEqual(
      sink.lines.map((l) => l.msg),
      ['d', 'v', 'i', 'l', 'w', 'e', 'f'],
    );
  });

  it('warn writes warn and error only', () => {
    const { sink, logger } = setup('warn');
    all(logger);
    assert.deepEqual(
      sink.lines.map((l) => l.msg),
      ['w', 'e', 'f'],
    );
  });

  it('error writes error and fatal only', () => {
    const { sink, logger } = setup('error');
    all(logger);
    assert.deepEqual(
      sink.lines.map((l) => l.msg),
      ['e', 'f'],
    );
  });

  it('a child logger keeps the level of its parent', () => {
    const { sink, logger } = setup('warn');
    all(logger.child('Child'));
    assert.deepEqual(
      sink.lines.map((l) => l.msg),
      ['w', 'e', 'f'],
    );
  });
});

describe('Logger: scope', () => {
  it('child(scope) sets the scope and writes to the same sink and service', () => {
    const { sink, logger } = setup();
    logger.child('SessionService').info('login');
    assert.deepEqual(sink.lines[0], { ...sink.lines[0], service: 'identity', scope: 'SessionService', msg: 'login' });
  });

  it('takes the scope from Nest’s trailing context argument', () => {
    const { sink, logger } = setup();
    logger.log('Mapped {/api/v1/identity/accounts, POST} route', 'RouterExplorer');
    assert.equal(sink.lines[0]!.scope, 'RouterExplorer');
    assert.equal(sink.lines[0]!.msg, 'Mapped {/api/v1/identity/accounts, POST} route');
  });

  it('takes the scope from Nest’s error(message, undefined, context)', () => {
    const { sink, logger } = setup();
    logger.error('boom', undefined, 'ExceptionsHandler');
    assert.equal(sink.lines[0]!.scope, 'ExceptionsHandler');
    assert.equal('detail' in sink.lines[0]!, false);
  });

  it('with a scope already set, a further string becomes a masked detail', () => {
    const { sink, logger } = setup();
    logger.child('Sms').info('sent', 'to 13812345678');
    assert.equal(sink.lines[0]!.scope, 'Sms');
    assert.equal(sink.lines[0]!.detail, 'to 138****5678');
  });

  it('writes no scope key when there is none', () => {
    const { sink, logger } = setup();
    logger.info('x', { a: 1 });
    assert.equal('scope' in sink.lines[0]!, false);
  });
});

describe('Logger: request context', () => {
  it('adds correlationId, requestId and actorId of runWithContext', () => {
    const { sink, logger } = setup();
    runWithContext({ correlationId: 'corr-1', requestId: 'req-1', actorId: 'acc-1' }, () => logger.info('inside'));
    const [line] = sink.lines;
    assert.equal(line!.correlationId, 'corr-1');
    assert.equal(line!.requestId, 'req-1');
    assert.equal(line!.actorId, 'acc-1');
  });

  it('adds only the ids that are set', () => {
    const { sink, logger } = setup();
    runWithContext({ correlationId: 'corr-2' }, () => logger.info('inside'));
    assert.equal(sink.lines[0]!.correlationId, 'corr-2');
    assert.equal('requestId' in sink.lines[0]!, false);
    assert.equal('actorId' in sink.lines[0]!, false);
  });

  it('keeps the context across awaits', async () => {
    const { sink, logger } = setup();
    await runWithContext({ correlationId: 'corr-async', requestId: 'req-async' }, async () => {
      await tick();
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info('later');
    });
    assert.equal(sink.lines[0]!.correlationId, 'corr-async');
    assert.equal(sink.lines[0]!.requestId, 'req-async');
  });

  it('does not leak the context outside runWithContext or between concurrent requests', async () => {
    const { sink, logger } = setup();
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        runWithContext({ correlationId: `corr-${id}` }, async () => {
          await tick();
          logger.info(id);
        }),
      ),
    );
    logger.info('outside');
    const byMsg = Object.fromEntries(sink.lines.map((l) => [l.msg, l.correlationId]));
    assert.deepEqual(byMsg, { a: 'corr-a', b: 'corr-b', c: 'corr-c', outside: undefined });
  });

  it('runWithContext returns the value of its function and currentContext sees the context', () => {
    const ctx = { correlationId: 'c-ret' };
    const seen = runWithContext(ctx, () => currentContext());
    assert.equal(seen, ctx);
    assert.equal(currentContext(), undefined);
  });

  it('enterContext binds the context for the rest of the synchronous and async chain', async () => {
    const { sink, logger } = setup();
    await runWithContext({ correlationId: 'before' }, async () => {
      enterContext({ correlationId: 'entered', requestId: 'r-entered' });
      await tick();
      logger.info('after enter');
    });
    assert.equal(sink.lines[0]!.correlationId, 'entered');
    assert.equal(sink.lines[0]!.requestId, 'r-entered');
  });
});

describe('Logger: metadata and masking', () => {
  it('merges a metadata object into the line, masked', () => {
    const { sink, logger } = setup();
    logger.info('registered', { accountId: 'acc-1', phone: '13812345678', password: 'S3cret!', note: 'mail zhang.san@example.com' });
    const [line] = sink.lines;
    assert.equal(line!.accountId, 'acc-1');
    assert.equal(line!.phone, '13*******78');
    assert.equal(line!.password, '[redacted]');
    assert.equal(line!.note, 'mail z***@example.com');
  });

  it('masks personal data inside the message string', () => {
    const { sink, logger } = setup();
    logger.warn('sms to 13812345678 for zhang.san@example.com failed');
    assert.equal(sink.lines[0]!.msg, 'sms to 138****5678 for z***@example.com failed');
  });

  it('masks an object message', () => {
    const { sink, logger } = setup();
    logger.info({ event: 'login', smsCode: '123456', phone: '13812345678' });
    assert.deepEqual(sink.lines[0]!.msg, { event: 'login', smsCode: '[redacted]', phone: '13*******78' });
  });

  it('writes an Error argument as err with masked message and stack', () => {
    const { sink, logger } = setup();
    logger.error('lookup failed', new Error('no account for 13812345678'));
    const err = sink.lines[0]!.err as { name: string; message: string; stack: string };
    assert.equal(err.name, 'Error');
    assert.equal(err.message, 'no account for 138****5678');
    assert.ok(err.stack.startsWith('Error: no account for 138****5678\n'));
  });

  it('writes an Error message as a masked object', () => {
    const { sink, logger } = setup();
    logger.error(new RangeError('bad phone 13987654321'));
    const msg = sink.lines[0]!.msg as { name: string; message: string };
    assert.equal(msg.name, 'RangeError');
    assert.equal(msg.message, 'bad phone 139****4321');
  });

  it('skips undefined and keeps arrays, masked, under meta', () => {
    const { sink, logger } = setup();
    logger.info('x', undefined, ['13812345678'], { ok: true });
    assert.deepEqual(Object.keys(sink.lines[0]!).sort(), ['level', 'meta', 'msg', 'ok', 'service', 'time']);
    assert.deepEqual(sink.lines[0]!.meta, ['138****5678']);
  });

  it('never writes the raw personal data or secrets anywhere in the line', () => {
    const { sink, logger } = setup('debug');
    const secrets = ['13812345678', 'zhang.san@example.com', 'S3cret!pass', '654321', 'eyJhbGciOi.payload.sig', 'rt-family-1'];
    runWithContext({ correlationId: 'c', requestId: 'r', actorId: 'a' }, () => {
      logger.child('Auth').info('login 13812345678 zhang.san@example.com', {
        body: { phone: '13812345678', email: 'zhang.san@example.com', password: 'S3cret!pass', smsCode: '654321' },
        headers: { authorization: 'Bearer eyJhbGciOi.payload.sig' },
        refreshToken: 'rt-family-1',
        list: [{ text: 'call 13812345678' }],
      });
      logger.debug('x', new Error('zhang.san@example.com / 13812345678'));
    });
    assert.equal(sink.raw.length, 2);
    for (const raw of sink.raw) for (const s of secrets) assert.ok(!raw.includes(s), `${s} leaked: ${raw}`);
  });
});

describe('Logger: Nest error(message, stack, context)', () => {
  it('uses the context as the scope and masks the stack', () => {
    const { sink, logger } = setup();
    logger.error('failed', 'Error: no account for 13812345678\n    at x (y.js:1:1)', 'NestApplicationContext');
    assert.ok(!sink.raw[0]!.includes('13812345678'));
    assert.equal(sink.lines[0]!.scope, 'NestApplicationContext');
    assert.match(String(sink.lines[0]!.detail), /138\*\*\*\*5678/);
  });

  it('treats a lone stack argument as detail, not as the scope', () => {
    const { sink, logger } = setup();
    logger.error('failed', 'Error: boom\n    at x (y.js:1:1)');
    assert.equal(sink.lines[0]!.scope, undefined);
    assert.match(String(sink.lines[0]!.detail), /boom/);
  });

  it('never lets metadata overwrite the line’s own fields', () => {
    const { sink, logger } = setup();
    logger.info('real message', { level: 'debug', service: 'other', msg: 'fake' });
    assert.equal(sink.lines[0]!.level, 'info');
    assert.equal(sink.lines[0]!.service, 'identity');
    assert.equal(sink.lines[0]!.msg, 'real message');
  });
});
