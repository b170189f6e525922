import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, type Caller } from '@certhub/service-kit';
import { ItemService } from './item.service';
import { ItemListQuery } from './item.views';

@ApiTags('my items')
@ApiBearerAuth()
@Controller('api/v1/workbench/items')
export class ItemController {
  constructor(private readonly items: ItemService) {}

  @Get()
  @ApiOperation({ summary: 'My items (我的事项, WB-3): tabs all / draft / active / done with counts, fuzzy search, newest change first.' })
  list(@CurrentCaller() caller: Caller, @Query() query: ItemListQuery) {
    return this.items.list(caller, query);
  }

  @Get(':domain/:businessNo')
  @ApiOperation({ summary: 'One of my items by business number; another person\'s item answers 404.' })
  get(@CurrentCaller() caller: Caller, @Param('domain') domain: string, @Param('businessNo') businessNo: string) {
    return this.items.get(caller, domain, businessNo);
  }
}
