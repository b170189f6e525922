import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ExamHarness, openPeriod } from '../testing/exam-harness';

type Availability = { offerings: Array<{ offeringId: string; code: string; sessionCode: string; subject: string; cities: Array<{ cityCode: string; remaining: number }> }> };

describe('live availability (ST-5, EX-6)', () => {
  let h: ExamHarness;
  let baseUrl: string;
  before(async () => {
    h = await ExamHarness.start({ AVAILABILITY_STREAM_INTERVAL_MS: '200' });
    await h.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(h.app.getHttpServer().address() as AddressInfo).port}`;
  });
  after(() => h?.stop());

  it('answers the fixed shape for every offering and city, and follows orders within the refresh interval', async () => {
    const periodId = await h.importPeriod(openPeriod({}, { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 10, seats: { GEN: 2 } }, { code: 'SH', name: '上海', seatsPerOffering: 7 }] }));
    const o = await h.offerings(periodId);
    const [c] = await h.candidates(1);
    const url = `/api/v1/exam/periods/${periodId}/availability`;
    const first = await h.request<Availability>('GET', url, { token: c!.token });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.offerings.map((x) => x.code), ['QMS-1', 'FSMS', 'QMS-2', 'EMS', 'GEN']);
    const gen = first.body.offerings.find((x) => x.code === 'GEN')!;
    assert.deepEqual(Object.keys(gen).sort(), ['cities', 'code', 'offeringId', 'sessionCode', 'subject']);
    assert.deepEqual(gen.cities, [{ cityCode: 'BJ', remaining: 2 }, { cityCode: 'SH', remaining: 7 }]);
    assert.equal(gen.sessionCode, 'S3');

    const id = await h.readyRegistration(c!, periodId, [o['GEN']!], 'BJ');
    assert.equal((await h.order(c!, id)).status, 201);
    await new Promise((r) => setTimeout(r, h.config.AVAILABILITY_REFRESH_MS + 50));
    const later = await h.request<Availability>('GET', `${url}?offeringIds=${o['GEN']}`, { token: c!.token });
    assert.deepEqual(later.body.offerings.map((x) => x.code), ['GEN']);
    assert.deepEqual(later.body.offerings[0]!.cities, [{ cityCode: 'BJ', remaining: 1 }, { cityCode: 'SH', remaining: 7 }]);
  });

  it('is 404 for an unknown period and needs a login', async () => {
    const [c] = await h.candidates(1);
    assert.equal((await h.request('GET', '/api/v1/exam/periods/00000000-0000-4000-8000-000000000000/availability', { token: c!.token })).status, 404);
    assert.equal((await h.request('GET', '/api/v1/exam/periods/not-a-uuid/availability', { token: c!.token })).status, 404);
    const periodId = await h.importPeriod(openPeriod());
    assert.equal((await h.request('GET', `/api/v1/exam/periods/${periodId}/availability`)).status, 401);
  });

  it('streams the chosen offerings as server-sent events and sends a new event when a seat is taken', async () => {
    const periodId = await h.importPeriod(openPeriod({}, { cities: [{ code: 'BJ', name: '北京', seatsPerOffering: 3 }] }));
    const o = await h.offerings(periodId);
    const [c] = await h.candidates(1);
    const abort = new AbortController();
    const res = await fetch(`${baseUrl}/api/v1/exam/periods/${periodId}/availability/stream?offeringIds=${o['EMS']}`, {
      headers: { authorization: `Bearer ${c!.token}` },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (): Promise<Availability> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data && block.includes('event: availability')) return JSON.parse(data.slice(6)) as Availability;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    try {
      const first = await nextEvent();
      assert.deepEqual(first.offerings.map((x) => [x.code, x.cities]), [['EMS', [{ cityCode: 'BJ', remaining: 3 }]]]);
      const id = await h.readyRegistration(c!, periodId, [o['EMS']!], 'BJ');
      assert.equal((await h.order(c!, id)).status, 201);
      const second = await nextEvent();
      assert.deepEqual(second.offerings[0]!.cities, [{ cityCode: 'BJ', remaining: 2 }]);
    } finally {
      abort.abort();
      await reader.cancel().catch(() => undefined);
    }
  });

  it('ends open streams when the service shuts down instead of waiting for the clients', async () => {
    const other = await ExamHarness.start();
    await other.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(other.app.getHttpServer().address() as AddressInfo).port}`;
    const periodId = await other.importPeriod(openPeriod());
    const [c] = await other.candidates(1);
    const abort = new AbortController();
    const res = await fetch(`${url}/api/v1/exam/periods/${periodId}/availability/stream`, { headers: { authorization: `Bearer ${c!.token}` }, signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    // Without ending the streams the HTTP server would wait for this client for ever.
    const stopping = other.stop();
    const ended = await Promise.race([
      (async () => {
        while (!(await reader.read()).done);
        return true;
      })(),
      new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
    ]);
    if (!ended) abort.abort();
    await stopping;
    assert.ok(ended, 'the stream was ended by the shutdown');
  });
});
