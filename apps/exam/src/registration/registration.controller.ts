import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentCaller, RequestId, RequireAccountType, type Caller } from '@certhub/service-kit';
import { ExamErrors } from '../exam.errors';
import { OrderService } from '../orders/order.service';
import { CityDto, ConfirmOrderDto, RegistrationInfoDto, StartRegistrationDto, SubjectsDto } from './registration.dtos';
import { RegistrationService } from './registration.service';

const idPipe = new ParseUUIDPipe({ exceptionFactory: () => ExamErrors.error('EXAM_NOT_FOUND', { field: 'id' }) });
const periodPipe = new ParseUUIDPipe({ exceptionFactory: () => ExamErrors.error('EXAM_NOT_FOUND', { field: 'periodId' }) });

@ApiTags('exam: registration')
@ApiBearerAuth()
@RequireAccountType('personal')
@Controller('api/v1/exam')
export class RegistrationController {
  constructor(
    private readonly registrations: RegistrationService,
    private readonly orders: OrderService,
  ) {}

  @Get('periods')
  @ApiOperation({ summary: 'EX-2: open exam periods with my status (未报考 / 报名中 / 已报考)' })
  periods(@CurrentCaller() caller: Caller) {
    return this.registrations.periods(caller.sub);
  }

  @Post('periods/:periodId/registrations')
  @ApiOperation({ summary: 'EX-3: start a registration after accepting the candidate notice (needs an accepted photo)' })
  async start(@CurrentCaller() caller: Caller, @Param('periodId', periodPipe) periodId: string, @Body() dto: StartRegistrationDto) {
    return this.registrations.start(periodId, caller.sub, dto.noticeAccepted);
  }

  @Get('registrations/:id')
  @ApiOperation({ summary: 'EX-9: my registration with every step, subject (and its paid state), city, order and refund' })
  view(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string) {
    return this.registrations.view(id, caller.sub);
  }

  @Put('registrations/:id/info')
  @ApiOperation({ summary: 'EX-4: registration info and invoice choice' })
  info(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Body() dto: RegistrationInfoDto, @Headers('authorization') authorization?: string) {
    return this.registrations.saveInfo(id, caller.sub, dto, authorization);
  }

  @Put('registrations/:id/subjects')
  @ApiOperation({ summary: 'EX-5: subjects, at most one per session' })
  subjects(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Body() dto: SubjectsDto) {
    return this.registrations.saveSubjects(id, caller.sub, dto.offeringIds);
  }

  @Put('registrations/:id/city')
  @ApiOperation({ summary: 'EX-6: the exam city' })
  city(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Body() dto: CityDto) {
    return this.registrations.saveCity(id, caller.sub, dto.cityCode);
  }

  @Post('registrations/:id/order')
  @ApiOperation({ summary: 'EX-8: confirm and place the order; every seat is held or none (409 EXAM_SEAT_FULL names the full offerings)' })
  order(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Body() dto: ConfirmOrderDto) {
    return this.orders.place(id, caller.sub, dto.confirmed);
  }

  @Delete('registrations/:id/order')
  @ApiOperation({ summary: 'ST-3: cancel the unpaid order (through the payment service); its seats are released' })
  async cancel(
    @CurrentCaller() caller: Caller,
    @Param('id', idPipe) id: string,
    @RequestId() requestId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('authorization') authorization?: string,
  ) {
    try {
      return await this.orders.cancel(id, caller.sub, authorization, requestId);
    } catch (err) {
      // The payment order is created from the order event within milliseconds: retry shortly.
      if (ExamErrors.is(err, 'EXAM_ORDER_NOT_READY') || ExamErrors.is(err, 'EXAM_PAYMENT_UNAVAILABLE')) void reply.header('retry-after', '1');
      throw err;
    }
  }

  @Post('registrations/:id/city-change')
  @HttpCode(200)
  @ApiOperation({ summary: 'EX-10: move every paid subject to another city, or nothing' })
  cityChange(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Body() dto: CityDto) {
    return this.orders.changeCity(id, caller.sub, dto.cityCode);
  }

  @Post('registrations/:id/refund')
  @HttpCode(202)
  @ApiOperation({ summary: 'PY-4: request the refund (once per person per period, inside the refund window)' })
  refund(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string) {
    return this.orders.requestRefund(id, caller.sub);
  }
}
