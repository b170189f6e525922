import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRoles, type Caller } from '@certhub/service-kit';
import { MessageService } from './message.service';
import { MessageListQuery, NoticeListQuery, PublishNoticeBody } from './message.views';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('api/v1/workbench')
export class MessageController {
  constructor(private readonly messages: MessageService) {}

  @Get('messages')
  @ApiOperation({ summary: 'My messages (消息) and the notices (通知) for me, newest first, with unread counts (WB-4).' })
  list(@CurrentCaller() caller: Caller, @Query() query: MessageListQuery) {
    return this.messages.list(caller, query);
  }

  @Get('messages/unread-count')
  @ApiOperation({ summary: 'Unread messages and notices.' })
  unreadCount(@CurrentCaller() caller: Caller) {
    return this.messages.unreadCounts(caller);
  }

  @Post('messages/read-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark every message and notice read.' })
  readAll(@CurrentCaller() caller: Caller) {
    return this.messages.markAllRead(caller);
  }

  @Post('messages/:id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark one message or notice read; another person\'s message answers 404.' })
  read(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.messages.markRead(caller, id);
  }

  @Delete('messages')
  @HttpCode(200)
  @ApiOperation({ summary: 'Clear all: every message and notice leaves my list.' })
  clear(@CurrentCaller() caller: Caller) {
    return this.messages.clearAll(caller);
  }

  @Post('notices')
  @RequireRoles('admin')
  @ApiOperation({ summary: 'Broadcast a notice to an audience (admin).' })
  publish(@CurrentCaller() caller: Caller, @Body() body: PublishNoticeBody) {
    return this.messages.publish(caller, body);
  }

  @Get('notices')
  @RequireRoles('admin')
  @ApiOperation({ summary: 'Published notices, newest first (admin).' })
  notices(@Query() query: NoticeListQuery) {
    return this.messages.listNotices(query);
  }
}
