import type { Redis } from 'ioredis';
import type { RefreshRequest } from './refresh';

/**
 * Records waiting for a refresh, per portal: one Redis set, so a record changed ten times
 * (or announced by duplicated webhooks) is refreshed once. Members are `<kind>:<id>` with
 * kind c (contact), d (deal), m (meeting), k (call), e (email), p (privacy deletion of a contact).
 */
export type PendingKind = 'c' | 'd' | 'm' | 'k' | 'e' | 'p';

export function pendingKey(prefix: string, portalId: number): string {
  return `${prefix}:sync:pending:${portalId}`;
}

export async function addPending(
  redis: Redis,
  prefix: string,
  portalId: number,
  members: readonly string[],
): Promise<void> {
  if (members.length === 0) return;
  await redis.sadd(pendingKey(prefix, portalId), ...members);
}

/** Takes up to `count` members off the set (SPOP: each member goes to exactly one taker). */
export async function takePending(
  redis: Redis,
  prefix: string,
  portalId: number,
  count: number,
): Promise<RefreshRequest & { taken: number }> {
  const members = await redis.spop(pendingKey(prefix, portalId), count);
  const request: Required<RefreshRequest> = {
    contacts: [],
    deals: [],
    meetings: [],
    calls: [],
    emails: [],
    privacyDeletions: [],
  };
  for (const member of members) {
    const [kind, raw] = member.split(':');
    const id = Number(raw);
    if (!Number.isSafeInteger(id)) continue;
    if (kind === 'c') (request.contacts as number[]).push(id);
    else if (kind === 'd') (request.deals as number[]).push(id);
    else if (kind === 'm') (request.meetings as number[]).push(id);
    else if (kind === 'k') (request.calls as number[]).push(id);
    else if (kind === 'e') (request.emails as number[]).push(id);
    else if (kind === 'p') (request.privacyDeletions as number[]).push(id);
  }
  return { ...request, taken: members.length };
}

/** Puts members back after a failed refresh, so a retry (or the next job) takes them again. */
export async function returnPending(
  redis: Redis,
  prefix: string,
  portalId: number,
  request: RefreshRequest,
): Promise<void> {
  const members = [
    ...(request.contacts ?? []).map((id) => `c:${id}`),
    ...(request.deals ?? []).map((id) => `d:${id}`),
    ...(request.meetings ?? []).map((id) => `m:${id}`),
    ...(request.calls ?? []).map((id) => `k:${id}`),
    ...(request.emails ?? []).map((id) => `e:${id}`),
    ...(request.privacyDeletions ?? []).map((id) => `p:${id}`),
  ];
  await addPending(redis, prefix, portalId, members);
}

/** Forgets a portal's pending records: it is gone, nothing will refresh them. */
export async function clearPending(redis: Redis, prefix: string, portalId: number): Promise<void> {
  await redis.del(pendingKey(prefix, portalId));
}
