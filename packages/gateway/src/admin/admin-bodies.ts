/**
 * The admin API's action bodies and their validation (admin-api.ts). admin-api.ts loads this
 * module on the first action that has a body, so the validator (zod) is not in the heap of a
 * gateway nobody administers that way.
 */
import { PROTOCOL_LIMITS } from '@switchyard/core';
import { z } from 'zod';

const time = z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);
const filterFields = {
  queue: z.string().min(1).optional(),
  reason: z.string().min(1).optional(),
  since: time.optional(),
  until: time.optional(),
};
const ids = z.array(z.string().min(1)).min(1).max(10_000);

const ADMIN_BODIES = {
  replay: z.strictObject({ queue: z.string().min(1), ids }),
  redrive: z.strictObject({ ...filterFields, ids: ids.optional(), ratePerSecond: z.number().positive().max(10_000), dryRun: z.boolean().default(false) }),
  purge: z.strictObject({ ...filterFields, ids: ids.optional(), dryRun: z.boolean().default(false) }),
  resync: z.strictObject({ instanceId: z.string().min(1).optional() }),
  // The reason travels in the DRAIN frame, whose short strings are at most PROTOCOL_LIMITS.maxShortStringLength.
  drain: z.strictObject({ reason: z.string().min(1).max(PROTOCOL_LIMITS.maxShortStringLength).optional() }),
};

export type AdminBodyKind = keyof typeof ADMIN_BODIES;
export type AdminBody<K extends AdminBodyKind> = z.output<(typeof ADMIN_BODIES)[K]>;

/** The body as its action reads it, or every problem in one line. */
export function parseAdminBody<K extends AdminBodyKind>(kind: K, value: unknown): { ok: true; body: AdminBody<K> } | { ok: false; problems: string } {
  const result = ADMIN_BODIES[kind].safeParse(value);
  if (result.success) return { ok: true, body: result.data as AdminBody<K> };
  return { ok: false, problems: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
}
