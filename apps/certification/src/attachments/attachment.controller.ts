import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentCaller, RequestId, RequireAccountType, sendUpload, UPLOAD_MEDIA_TYPES, type Caller } from '@certhub/service-kit';
import { CertificationErrors } from '../certification.errors';
import { AttachmentService } from './attachment.service';

const attachmentIdPipe = new ParseUUIDPipe({ exceptionFactory: () => CertificationErrors.error('CERT_ATTACHMENT_NOT_FOUND', { field: 'id' }) });

/**
 * Files to put on a case (附件), e.g. the transfer's reason file (转会理由文件): upload first, then
 * name the id in the form (`reasonFileId`).
 */
@ApiTags('certification: attachments')
@ApiBearerAuth()
@Controller('api/v1/certification/attachments')
export class AttachmentController {
  constructor(private readonly attachments: AttachmentService) {}

  @Post()
  @HttpCode(201)
  @RequireAccountType('personal', 'institution')
  @ApiConsumes(...UPLOAD_MEDIA_TYPES)
  @ApiBody({ description: 'the file itself as the raw body (JPEG, PNG or PDF; the content must be of the Content-Type sent)', schema: { type: 'string', format: 'binary' } })
  @ApiOperation({
    summary:
      'Upload a file to name in a case form (e.g. the transfer\'s reasonFileId) → 201 { id, contentType, bytes, sha256, uploadedAt }; a replay with the same X-Request-Id answers the same file. ' +
      '415 CERT_ATTACHMENT_TYPE, 400 CERT_ATTACHMENT_EMPTY, 413 CERT_ATTACHMENT_TOO_LARGE (details.maxBytes), 429 CERT_TOO_MANY_ATTACHMENTS',
  })
  async upload(@CurrentCaller() caller: Caller, @Req() req: FastifyRequest, @RequestId() requestId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const { replayed, ...file } = await this.attachments.upload(caller, req.headers['content-type'], req.body, requestId);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return file;
  }

  @Get(':id')
  @ApiProduces(...UPLOAD_MEDIA_TYPES)
  @ApiOperation({
    summary: 'The file: for its uploader and for whoever may read a case that names it (applicant, association, the institutions it is routed to, its assigned expert); 404 CERT_ATTACHMENT_NOT_FOUND for anyone else',
  })
  async file(@CurrentCaller() caller: Caller, @Param('id', attachmentIdPipe) id: string, @Res() reply: FastifyReply) {
    const file = await this.attachments.file(id, caller);
    await sendUpload(reply, { contentType: file.contentType, filename: `${file.id}.${file.ext}`, content: file.content });
  }
}
