import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { envelopeSchema, type EventEnvelope } from './envelope';
import { caseEventSchemas, type CaseEventData } from './cases';
import { identityEventSchemas, type IdentityEventData } from './identity';
import { workbenchEventSchemas, type WorkbenchEventData } from './workbench';

/** Every topic of the platform with the schema of its `data`. New domains add theirs here. */
export const eventSchemas = {
  ...identityEventSchemas,
  ...caseEventSchemas,
  ...workbenchEventSchemas,
} as const;

export type EventDataMap = IdentityEventData & CaseEventData & WorkbenchEventData;
export type Topic = keyof EventDataMap;

export function isKnownTopic(topic: string): topic is Topic {
  return Object.prototype.hasOwnProperty.call(eventSchemas, topic);
}

export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

const ajv = new Ajv({ allErrors: false, strict: true });
addFormats(ajv);
const validateEnvelopeFn = ajv.compile(envelopeSchema);
const dataValidators = new Map<string, ValidateFunction>();
for (const [topic, schema] of Object.entries(eventSchemas)) dataValidators.set(topic, ajv.compile(schema));

export type EventValidation = { ok: true } | { ok: false; error: string };

/** Validates an envelope and its data against the topic's schema (when produced and when consumed). */
export function validateEvent(topic: string, event: unknown): EventValidation {
  if (!validateEnvelopeFn(event)) {
    return { ok: false, error: `envelope ${ajv.errorsText(validateEnvelopeFn.errors)}` };
  }
  const envelope = event as unknown as EventEnvelope;
  if (envelope.type !== topic) return { ok: false, error: `type ${envelope.type} does not match topic ${topic}` };
  const validateData = dataValidators.get(topic);
  if (!validateData) return { ok: false, error: `unknown topic ${topic}` };
  if (!validateData(envelope.data)) return { ok: false, error: `data ${ajv.errorsText(validateData.errors)}` };
  return { ok: true };
}
