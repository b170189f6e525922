import { Controller, Get, Param, ParseUUIDPipe, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUuid } from '@certhub/service-kit';
import { ExamConfig } from '../exam.config';
import { ExamErrors } from '../exam.errors';
import { AvailabilityService } from './availability.service';

const periodPipe = new ParseUUIDPipe({ exceptionFactory: () => ExamErrors.error('EXAM_NOT_FOUND', { field: 'periodId' }) });

function parseOfferingIds(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ids = raw.split(',').map((s) => s.trim());
  const bad = ids.findIndex((id) => !isUuid(id));
  if (bad >= 0 || ids.length > 50) throw ExamErrors.error('EXAM_SUBJECT_UNKNOWN', { field: 'offeringIds' });
  return ids;
}

@ApiTags('exam: availability')
@ApiBearerAuth()
@Controller('api/v1/exam/periods/:periodId/availability')
export class AvailabilityController {
  constructor(
    private readonly availability: AvailabilityService,
    private readonly config: ExamConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Remaining seats of every offering in every city (ST-5); may lag by up to 500 ms' })
  @ApiQuery({ name: 'offeringIds', required: false, description: 'comma-separated offering ids to restrict the answer to' })
  async get(@Param('periodId', periodPipe) periodId: string, @Query('offeringIds') offeringIds?: string) {
    const ids = parseOfferingIds(offeringIds);
    return AvailabilityService.filter(await this.availability.of(periodId), ids);
  }

  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiOperation({ summary: 'The same as server-sent events (`event: availability`), sent when the counts change' })
  @ApiQuery({ name: 'offeringIds', required: false })
  async stream(@Param('periodId', periodPipe) periodId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply, @Query('offeringIds') offeringIds?: string) {
    const ids = parseOfferingIds(offeringIds);
    const first = AvailabilityService.filter(await this.availability.of(periodId), ids);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    let last = '';
    let sequence = 0;
    const send = (a: ReturnType<typeof AvailabilityService.filter>) => {
      const offerings = JSON.stringify(a.offerings);
      if (offerings === last) return;
      last = offerings;
      raw.write(`id: ${++sequence}\nevent: availability\ndata: ${JSON.stringify(a)}\n\n`);
    };
    send(first);
    let beats = 0;
    const timer = setInterval(() => {
      this.availability
        .of(periodId)
        .then((a) => send(AvailabilityService.filter(a, ids)))
        .catch(() => undefined);
      if (++beats % 15 === 0) raw.write(': keep-alive\n\n');
    }, this.config.AVAILABILITY_STREAM_INTERVAL_MS);
    let forget: () => void = () => undefined;
    const stop = () => {
      clearInterval(timer);
      forget();
    };
    forget = this.availability.trackStream(() => {
      stop();
      raw.end();
    });
    raw.on('close', stop);
    req.raw.on('close', stop);
  }
}
