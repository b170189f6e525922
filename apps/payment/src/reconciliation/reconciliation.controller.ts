import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRoles } from '@certhub/service-kit';
import { PaymentErrors } from '../payment.errors';
import { ReconciliationService } from './reconciliation.service';

@ApiTags('payment')
@ApiBearerAuth()
@RequireRoles('admin', 'staff')
@Controller('api/v1/payment/admin/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Get(':date')
  @ApiOperation({ summary: 'Compare the provider\'s statement of a China business date with our records; the differences found' })
  async report(@Param('date') date: string) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw PaymentErrors.error('PAYMENT_DATE_INVALID', { field: 'date' });
    return this.reconciliation.daily(date);
  }
}
