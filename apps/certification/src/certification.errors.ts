import { defineErrors } from '@certhub/errors';

/** Every refusal of the certification service, with its HTTP status and both messages. */
export const CertificationErrors = defineErrors({
  CERT_APPLICATION_NOT_FOUND: { status: 404, en: 'The application was not found.', zh: '未找到该申请。' },
  CERT_RECORD_NOT_FOUND: { status: 404, en: 'The record was not found in this application.', zh: '该申请中没有这条经历。' },
  CERT_APPLICATION_EXISTS: {
    status: 409,
    en: 'You already have an open application of this type and field; continue that one.',
    zh: '您已有同一申请类型和领域的申请，请继续办理该申请。',
  },
  CERT_TOO_MANY_APPLICATIONS: { status: 409, en: 'You have too many open applications; finish or withdraw some first.', zh: '您未完结的申请过多，请先完成已有申请。' },
  CERT_APPLICATION_LOCKED: {
    status: 409,
    en: 'The application has been submitted: it can only be edited when it is returned for rectification.',
    zh: '申请已提交，只有在退回整改时才能修改。',
  },
  CERT_APPLICATION_NOT_SUBMITTABLE: {
    status: 409,
    en: 'The application is decided or withdrawn: it cannot be submitted.',
    zh: '申请已办结或已撤回，不能提交。',
  },
  CERT_APPLICATION_NOT_WITHDRAWABLE: {
    status: 409,
    en: 'The application can only be withdrawn as a draft or while it is returned for rectification; it is under review or decided.',
    zh: '只有草稿或退回整改中的申请可以撤回；该申请正在审核中或已办结。',
  },
  CERT_APPLICATION_INCOMPLETE: { status: 422, en: 'The application is not complete.', zh: '申请信息不完整。' },
  CERT_FIELD_UNKNOWN: { status: 400, en: 'This field does not belong to the application type.', zh: '该申请类型没有此专业领域。' },
  CERT_TYPE_REQUIRED: { status: 400, en: 'Choose the application type first.', zh: '请先选择申请类型。' },
  CERT_KIND_GRADE_MISMATCH: { status: 400, en: 'An upgrade applies for a higher grade than trainee.', zh: '升级申请的级别须高于实习级别。' },
  CERT_DATE_ORDER: { status: 400, en: 'The end date is before the start date.', zh: '结束日期早于开始日期。' },
  CERT_DATE_IN_FUTURE: { status: 400, en: 'This date lies in the future.', zh: '日期不能晚于今天。' },
  CERT_TOO_MANY_RECORDS: { status: 409, en: 'This application already holds the most records of this kind.', zh: '该类经历条数已达上限。' },
  CERT_INSTITUTION_UNKNOWN: { status: 400, en: 'The practising institution is not a registered certification body.', zh: '执业机构不是已登记的认证机构。' },
  CERT_LIBRARY_RECORD_NOT_FOUND: { status: 404, en: 'The record is not in your basic info library.', zh: '基本信息库中没有这条经历。' },
  CERT_RECORD_ALREADY_COPIED: { status: 409, en: 'This library record was already added to the application.', zh: '该经历已从基本信息库添加到本申请。' },
  CERT_CASE_NOT_FOUND: { status: 404, en: 'The case was not found.', zh: '未找到该业务。' },
  CERT_CERTIFICATE_NOT_FOUND: { status: 404, en: 'You hold no such certificate.', zh: '您没有该证书。' },
  CERT_NOT_CERTIFIED: { status: 403, en: 'Only certified persons with a valid certificate can apply for this.', zh: '只有持有有效证书的认证人员可以办理此业务。' },
  CERT_NO_CONFIRMATION_DUE: {
    status: 409,
    en: 'You have no certificate that needs an annual confirmation: only a certificate near its expiry or expired can be confirmed.',
    zh: '您没有需要进行年度确认的证书：证书快到期或已过期时才可进行年度确认。',
  },
  CERT_CONFIRMATION_YEAR: { status: 400, en: 'The confirmation year must be this year or last year.', zh: '确认年度须为今年或去年。' },
  CERT_CERTIFICATE_NOT_VALID: { status: 409, en: 'The certificate is cancelled or revoked.', zh: '该证书已注销或撤销。' },
  CERT_NO_INSTITUTION: { status: 409, en: 'Your certificate is not held at a practising institution.', zh: '您的证书没有执业机构。' },
  CERT_TRANSFER_SAME_INSTITUTION: { status: 400, en: 'The transfer-in institution is your current institution.', zh: '转入机构不能是当前执业机构。' },
  CERT_SUPPLEMENT_REQUIRED: { status: 400, en: 'A supplement is required when the reason is "other".', zh: '转会理由为【其他】时，补充说明为必填。' },
  CERT_CASE_EXISTS: { status: 409, en: 'You already have an open case of this kind for the same subject; continue that one.', zh: '您已有同类未办结的业务，请继续办理该业务。' },
  CERT_TOO_MANY_CASES: { status: 409, en: 'You have too many open cases of this kind.', zh: '您未办结的同类业务过多。' },
  CERT_CASE_NOT_RETURNED: {
    status: 409,
    en: 'The case is not returned for rectification: it cannot be edited or resubmitted now.',
    zh: '该业务未被退回整改，现在不能修改或重新提交。',
  },
  CERT_CASE_FINISHED: { status: 409, en: 'The case is decided or withdrawn.', zh: '该业务已办结或已撤回。' },
  CERT_CASE_NOT_WITHDRAWABLE: {
    status: 409,
    en: 'The case is under review: it can be withdrawn only while it is returned to you.',
    zh: '业务正在审核中，只有退回整改时才能撤回。',
  },
  CERT_ALREADY_EXPERT: { status: 409, en: 'You are an expert already.', zh: '您已是专家。' },
  CERT_FIELD_FIXED: { status: 400, en: 'This field names the subject of the case and cannot be changed.', zh: '该字段不能修改。' },
  CERT_ATTACHMENT_TYPE: {
    status: 415,
    en: 'The file must be a JPEG, PNG or PDF file, sent with its own Content-Type (the content is checked).',
    zh: '文件须为 JPEG、PNG 或 PDF 格式，并以对应的 Content-Type 上传（按文件内容检查）。',
  },
  CERT_ATTACHMENT_EMPTY: { status: 400, en: 'The file is empty.', zh: '文件为空。' },
  CERT_ATTACHMENT_TOO_LARGE: { status: 413, en: 'The file is too large.', zh: '文件过大。' },
  CERT_ATTACHMENT_NOT_FOUND: { status: 404, en: 'The file was not found.', zh: '未找到该文件。' },
  CERT_TOO_MANY_ATTACHMENTS: { status: 429, en: 'You have uploaded too many files today; try again tomorrow.', zh: '今日上传文件过多，请明天再试。' },
  CERT_IDENTITY_UNAVAILABLE: { status: 503, en: 'The identity service is not reachable right now; nothing was changed.', zh: '身份服务暂时不可用，未做任何修改。' },
});

export type CertificationErrorCode = keyof typeof CertificationErrors.catalog;
