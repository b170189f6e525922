import { defineErrors } from '@certhub/errors';

/** Every refusal of the exam service, with its HTTP status and both messages. */
export const ExamErrors = defineErrors({
  EXAM_NOT_FOUND: { status: 404, en: 'Not found.', zh: '未找到。' },
  EXAM_PERIOD_INVALID: { status: 400, en: 'The exam period is invalid.', zh: '考试批次数据不正确。' },
  EXAM_PERIOD_EXISTS: { status: 409, en: 'An exam period with this code was already imported.', zh: '该考试批次代码已导入。' },
  EXAM_REGISTRATION_CLOSED: { status: 409, en: 'Registration for this exam period is not open.', zh: '该考试批次不在报名时间内。' },
  EXAM_NOTICE_NOT_ACCEPTED: { status: 400, en: 'Please read and accept the candidate notice first.', zh: '请先阅读并同意考生须知。' },
  EXAM_PHOTO_REQUIRED: { status: 409, en: 'An accepted ID photo is required before registering.', zh: '报名前须上传合格的证件照片。' },
  EXAM_ALREADY_REGISTERED: { status: 409, en: 'You already have a registration for this exam period.', zh: '您在本批次已有报名记录。' },
  EXAM_REGISTRATION_LOCKED: { status: 409, en: 'An order exists: the registration can no longer be changed (cancel the unpaid order first).', zh: '已生成订单，报名信息不能再修改（可先取消未支付订单）。' },
  EXAM_INVOICE_TITLE: { status: 400, en: 'The invoice title is wrong for this invoice type.', zh: '发票抬头不正确。' },
  EXAM_TAX_ID_INVALID: { status: 400, en: 'The taxpayer id must be a valid 18-character unified social credit code.', zh: '纳税人识别号须为有效的18位统一社会信用代码。' },
  EXAM_SUBJECTS_EMPTY: { status: 400, en: 'Choose at least one subject.', zh: '请至少选择一个科目。' },
  EXAM_SUBJECT_UNKNOWN: { status: 400, en: 'A chosen subject is not offered in this exam period.', zh: '所选科目不属于本考试批次。' },
  EXAM_SUBJECT_DUPLICATE: { status: 400, en: 'A subject was chosen twice.', zh: '科目重复选择。' },
  EXAM_SESSION_CONFLICT: { status: 400, en: 'At most one subject per session.', zh: '同一场次最多只能选择一个科目。' },
  EXAM_CITY_UNKNOWN: { status: 400, en: 'This exam city is not offered in this exam period.', zh: '本考试批次没有该考试城市。' },
  EXAM_STEPS_INCOMPLETE: { status: 409, en: 'Complete the registration info, subjects and city first.', zh: '请先完成信息维护、选择科目和选择城市。' },
  EXAM_CONFIRMATION_REQUIRED: { status: 400, en: 'Please confirm that the registration data is correct.', zh: '请确认以上报考信息无误。' },
  EXAM_SEAT_FULL: { status: 409, en: 'No seat is left for some chosen subjects in this city.', zh: '所选城市部分科目已无剩余考位。' },
  EXAM_ORDER_EXISTS: { status: 409, en: 'An order for this registration already exists.', zh: '该报名已有订单。' },
  EXAM_NO_ACTIVE_ORDER: { status: 409, en: 'There is no unpaid order to cancel.', zh: '没有可取消的未支付订单。' },
  EXAM_ORDER_PAID: { status: 409, en: 'The order is already paid; request a refund instead.', zh: '订单已支付，不能取消（可申请退费）。' },
  EXAM_ORDER_NOT_READY: { status: 409, en: 'The order is still being set up; retry in a second.', zh: '订单正在生成，请稍后重试。' },
  EXAM_IDENTITY_UNAVAILABLE: { status: 503, en: 'The identity service is not reachable right now.', zh: '身份服务暂时不可用。' },
  EXAM_PAYMENT_UNAVAILABLE: { status: 503, en: 'The payment service is not reachable right now.', zh: '支付服务暂时不可用。' },
  EXAM_NOT_PAID: { status: 409, en: 'Only a paid registration can do this.', zh: '仅已缴费的报名可执行此操作。' },
  EXAM_CITY_CHANGE_SAME: { status: 400, en: 'The new city is the current city.', zh: '新考试城市与当前城市相同。' },
  EXAM_REFUND_CLOSED: { status: 409, en: 'The refund window of this exam period is not open.', zh: '不在本批次退费时间内。' },
  EXAM_REFUND_USED: { status: 409, en: 'Each person can request a refund only once per exam period.', zh: '每人每批次只有一次退费机会。' },
});

export type ExamErrorCode = keyof typeof ExamErrors.catalog;
