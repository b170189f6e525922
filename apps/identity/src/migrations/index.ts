/** Generated migrations of the identity schema, in order (see docs/architecture.md, "Migrations"). */
export const IDENTITY_MIGRATIONS: Function[] = [];
