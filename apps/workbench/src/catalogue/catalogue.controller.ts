import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@certhub/service-kit';
import { SERVICE_CATALOGUE } from './catalogue';

@ApiTags('catalogue')
@Controller('api/v1/workbench/catalogue')
export class CatalogueController {
  @Public()
  @Get()
  @ApiOperation({ summary: 'The service catalogue with completion deadlines in working days (SPEC §8); null means no fixed deadline.' })
  list() {
    return { items: SERVICE_CATALOGUE };
  }
}
