/**
 * Contract of the certification domain's workflows: the only thing other code imports from here.
 * So far it reserves the task queue and the workflow ids; the workflows themselves (the
 * registration application's flow of CE-3), their messages and activity types follow.
 */

/** Task queue of the certification service's worker. */
export const CERTIFICATION_TASK_QUEUE = 'certification';

/** `caseType` of a personnel registration application (人员注册申请) in `certification.case.changed.v1`. */
export const CERT_REGISTRATION_CASE_TYPE = 'cert-registration';

/**
 * Workflow id of a registration application's process: one workflow per application, so a
 * repeated submit cannot start the process twice.
 */
export function certApplicationWorkflowId(applicationId: string): string {
  return `cert-application:${applicationId}`;
}

/** Input of the application workflow (started by submit). No personal data: ids and the business number only. */
export interface CertApplicationInput {
  applicationId: string;
  businessNo: string;
  applicantId: string;
}
