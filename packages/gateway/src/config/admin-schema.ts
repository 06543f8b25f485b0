/**
 * The `admin` config section: who may use the admin API and the console (docs/operations.md).
 * Absent means off: the admin paths answer 404. Roles come from static tokens (inline, e.g. from
 * `SWITCHYARD_ADMIN__TOKENS`, or a YAML/JSON file) and/or from a claim of a JWT verified by `auth.jwt`.
 */
import { z } from 'zod';

export const ADMIN_ROLES = Object.freeze(['viewer', 'operator'] as const);
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Shortest static token accepted: a guessable token would open the admin API. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

export const adminTokenSchema = z.strictObject({
  /** Who this token is; written to the log with every action. */
  name: z.string().min(1, 'must be a non-empty string'),
  role: z.enum(ADMIN_ROLES),
  token: z.string().min(MIN_ADMIN_TOKEN_LENGTH, `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`),
});

export const adminSchema = z
  .strictObject({
    tokens: z.array(adminTokenSchema).optional(),
    /** A YAML or JSON file holding a list like `tokens`, read at start. */
    tokensFile: z.string().min(1, 'must be a non-empty string').optional(),
    /** JWT claim (verified by auth.jwt) whose value, or one of whose values, is `viewer` or `operator`. */
    roleClaim: z.string().min(1, 'must be a non-empty string').optional(),
    /** Serve the console page at /_switchyard/console. @default true */
    console: z.boolean().default(true),
  })
  .refine((a) => a.tokens !== undefined || a.tokensFile !== undefined || a.roleClaim !== undefined, {
    message: 'grants no access: give tokens, tokensFile or roleClaim (or remove the admin section to turn the admin API off)',
  })
  .optional();

export type AdminConfig = NonNullable<z.output<typeof adminSchema>>;
export type AdminToken = z.output<typeof adminTokenSchema>;
