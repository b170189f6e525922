const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Is this a UUID (any case)? Ids that are not never reach a database cast that would fail with a 500. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
