/**
 * Request ids: a client's `x-request-id` is kept when it is a short token of safe characters
 * (so it can go into logs and headers unescaped); otherwise the gateway makes one.
 */
import { newFrameId } from '@switchyard/core';

const SAFE = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The client's id if acceptable, else undefined. */
export function readRequestId(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && SAFE.test(v) ? v : undefined;
}

/** A fresh id: 128 random bits as 32 hex characters (the frame id format). */
export function newRequestId(): string {
  return newFrameId();
}
