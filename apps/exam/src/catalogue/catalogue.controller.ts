import { Controller, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RequireRoles } from '@certhub/service-kit';
import { CatalogueService } from './catalogue.service';

@ApiTags('exam: catalogue (admin)')
@ApiBearerAuth()
@Controller('api/v1/exam/admin/periods')
export class CatalogueAdminController {
  constructor(private readonly catalogue: CatalogueService) {}

  @Post()
  @RequireRoles('admin')
  @ApiOperation({ summary: 'Import a whole exam period (EX-1) in the format of shared/data/exam-period-2021-2.json' })
  @ApiBody({ schema: { type: 'object', description: 'the import format: code, name, windows, sessions with offerings, cities with seats' } })
  importPeriod(@Req() req: FastifyRequest) {
    return this.catalogue.importPeriod(req.body);
  }
}
