/**
 * Events of the identity domain. Data never carries document numbers or phones:
 * consumers that need them ask the identity service with the subject's id.
 */
export const IdentityTopics = {
  AccountRegistered: 'identity.account.registered.v1',
  AccountChanged: 'identity.account.changed.v1',
  RolesChanged: 'identity.account.roles-changed.v1',
  PhotoAccepted: 'identity.photo.accepted.v1',
  VerificationChanged: 'identity.verification.changed.v1',
  InstitutionCreated: 'identity.institution.created.v1',
  SessionRevoked: 'identity.session.revoked.v1',
} as const;

export type AccountType = 'personal' | 'institution' | 'staff';
export type VerificationStatus =
  | 'pending'
  | 'verified'
  | 'awaiting-proof'
  | 'awaiting-staff'
  | 'onsite-required'
  | 'rejected';

export const VERIFICATION_STATUSES: readonly VerificationStatus[] = [
  'pending',
  'verified',
  'awaiting-proof',
  'awaiting-staff',
  'onsite-required',
  'rejected',
];

export interface AccountRegisteredV1 {
  accountId: string;
  username: string;
  accountType: AccountType;
  idType: string;
  educationCount: number;
  registeredAt: string;
}

export interface AccountChangedV1 {
  accountId: string;
  changed: string[];
}

export interface RolesChangedV1 {
  accountId: string;
  roles: string[];
  institutionId: string | null;
}

export interface PhotoAcceptedV1 {
  accountId: string;
  bytes: number;
}

export interface VerificationChangedV1 {
  accountId: string;
  status: VerificationStatus;
  previousStatus: VerificationStatus | null;
  workflowId: string;
  reason: string | null;
}

export interface InstitutionCreatedV1 {
  institutionId: string;
  name: string;
  kind: 'certification' | 'training';
}

/**
 * Sessions that ended before their access tokens expire (logout, a reused refresh token, a
 * password change or recovery): the gateway refuses those tokens from then on.
 */
export interface SessionRevokedV1 {
  accountId: string;
  /** The revoked sessions (the `sid` of their access tokens); empty when none was live. */
  sessionIds: string[];
  reason: 'logout' | 'refresh-token-reuse' | 'password-changed' | 'account-recovered';
  revokedAt: string;
}

const uuid = { type: 'string', format: 'uuid' } as const;
const nullableString = { type: ['string', 'null'] } as const;

export const identityEventSchemas = {
  [IdentityTopics.AccountRegistered]: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'username', 'accountType', 'idType', 'educationCount', 'registeredAt'],
    properties: {
      accountId: uuid,
      username: { type: 'string' },
      accountType: { enum: ['personal', 'institution', 'staff'] },
      idType: { type: 'string' },
      educationCount: { type: 'integer', minimum: 0 },
      registeredAt: { type: 'string', format: 'date-time' },
    },
  },
  [IdentityTopics.AccountChanged]: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'changed'],
    properties: { accountId: uuid, changed: { type: 'array', items: { type: 'string' } } },
  },
  [IdentityTopics.RolesChanged]: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'roles', 'institutionId'],
    properties: { accountId: uuid, roles: { type: 'array', items: { type: 'string' } }, institutionId: nullableString },
  },
  [IdentityTopics.PhotoAccepted]: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'bytes'],
    properties: { accountId: uuid, bytes: { type: 'integer', minimum: 1 } },
  },
  [IdentityTopics.VerificationChanged]: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'status', 'previousStatus', 'workflowId', 'reason'],
    properties: {
      accountId: uuid,
      status: { enum: VERIFICATION_STATUSES },
      previousStatus: { enum: [...VERIFICATION_STATUSES, null] },
      workflowId: { type: 'string' },
      reason: nullableString,
    },
  },
  [IdentityTopics.SessionRevoked]: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'sessionIds', 'reason', 'revokedAt'],
    properties: {
      accountId: uuid,
      sessionIds: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 100 } },
      reason: { enum: ['logout', 'refresh-token-reuse', 'password-changed', 'account-recovered'] },
      revokedAt: { type: 'string', format: 'date-time' },
    },
  },
  [IdentityTopics.InstitutionCreated]: {
    type: 'object',
    additionalProperties: false,
    required: ['institutionId', 'name', 'kind'],
    properties: { institutionId: uuid, name: { type: 'string' }, kind: { enum: ['certification', 'training'] } },
  },
} as const;

export interface IdentityEventData {
  [IdentityTopics.AccountRegistered]: AccountRegisteredV1;
  [IdentityTopics.AccountChanged]: AccountChangedV1;
  [IdentityTopics.RolesChanged]: RolesChangedV1;
  [IdentityTopics.PhotoAccepted]: PhotoAcceptedV1;
  [IdentityTopics.VerificationChanged]: VerificationChangedV1;
  [IdentityTopics.InstitutionCreated]: InstitutionCreatedV1;
  [IdentityTopics.SessionRevoked]: SessionRevokedV1;
}
