import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

/**
 * The portal's sales activities as one relation `(contact_id, activity_key, kind, at)`, one row
 * per activity and associated contact, the spec's definition:
 * - calls at `hs_timestamp`;
 * - one-to-one emails sent to the contact (`hs_email_direction` = `EMAIL`) at `hs_timestamp`;
 * - meetings the contact did not book itself (`hs_meeting_source` ≠ `MEETINGS_PUBLIC`, a missing
 *   source included) at their creation time, when the rep booked it.
 * Archived records are left out; a call or email without `hs_timestamp` has no moment and is
 * left out too. `activity_key` is `kind:id` (ids are unique per object type only).
 */
export function salesActivitiesRelation(portalId: number): RawBuilder<unknown> {
  return sql`
    select ac.contact_id, a.kind || ':' || a.activity_id as activity_key, a.kind, a.occurred_at as at
    from activities a
    join activity_contacts ac on ac.portal_id = a.portal_id and ac.kind = a.kind and ac.activity_id = a.activity_id
    where a.portal_id = ${portalId} and not a.archived and a.occurred_at is not null
      and (a.kind = 'call' or (a.kind = 'email' and a.email_direction = 'EMAIL'))
    union all
    select mc.contact_id, 'meeting:' || m.meeting_id, 'meeting', m.created_at
    from meetings m
    join meeting_contacts mc on mc.portal_id = m.portal_id and mc.meeting_id = m.meeting_id
    where m.portal_id = ${portalId} and not m.archived and m.meeting_source is distinct from 'MEETINGS_PUBLIC'`;
}
