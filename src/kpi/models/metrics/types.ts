/**
 * Domain inputs of the KPI models: plain data mirroring what the sync stores.
 * Ids are HubSpot ids as strings; every time is a UTC instant in epoch milliseconds.
 * The loaders (SQL/worker layer) parse HubSpot's string properties into these shapes;
 * the models never see a HubSpot payload.
 */

/** HubSpot record id (always a string, even when numeric). */
export type RecordId = string;

/** UTC instant, milliseconds since the epoch. */
export type EpochMs = number;

export interface Deal {
  readonly id: RecordId;
  /** `pipeline` */
  readonly pipelineId: string;
  /** `dealstage`: the current stage id (stage ids are unique within a portal). */
  readonly stageId: string;
  /**
   * Amount in the portal's company currency: `amount_in_home_currency`, or `amount` when the
   * portal has a single currency (see `resolveHomeAmount` in money.ts). `null` when unknown:
   * such a deal is excluded from every sum and mean and reported in the result's inputs.
   */
  readonly amountHome: number | null;
  /** `deal_currency_code`, kept so that exclusions can say which currency was involved. */
  readonly currency: string | null;
  /** `hubspot_owner_id` (owner id, not user id). */
  readonly ownerId: string | null;
  /** `hs_analytics_source` of the deal, else of its lead contact (`selectLeadContact`); `null` when neither has one. */
  readonly source: string | null;
  /** `createdate` */
  readonly createdAt: EpochMs;
  /** `closedate`; `null` while open (or when HubSpot has none). */
  readonly closedAt: EpochMs | null;
  /** `hs_is_closed`; used only when the current stage is missing from the pipeline metadata. */
  readonly isClosed: boolean;
  /** `hs_is_closed_won`; same fallback role as `isClosed`. */
  readonly isWon: boolean;
  /** Archived or merged away: excluded from every KPI. */
  readonly deleted: boolean;
  /** Associated contact ids, in any order (the lead contact is chosen by `selectLeadContact`). May be empty. */
  readonly contactIds: readonly RecordId[];
}

/** One entry of a deal's `dealstage` property history. */
export interface DealStageChange {
  readonly dealId: RecordId;
  readonly stageId: string;
  readonly at: EpochMs;
}

export interface PipelineStage {
  readonly id: string;
  readonly displayOrder: number;
  /** `metadata.isClosed` parsed from "true"/"false". */
  readonly isClosed: boolean;
  /** `metadata.probability` parsed from "0.0".."1.0"; `null` when absent. */
  readonly probability: number | null;
}

export interface Pipeline {
  readonly id: string;
  readonly stages: readonly PipelineStage[];
  /** Stage whose entry makes a deal a qualified opportunity (portal setting); default: the first open stage. */
  readonly qualifiedStageId?: string | null;
}

export interface Contact {
  readonly id: RecordId;
  /** `createdate` */
  readonly createdAt: EpochMs;
  /** `hs_analytics_first_timestamp`; `null` when HubSpot never saw a visit. */
  readonly firstVisitAt: EpochMs | null;
  /** `first_conversion_date`: first form conversion; starts the speed-to-lead clock when present. */
  readonly firstConversionAt: EpochMs | null;
  /** `hs_analytics_source` (original source); `null` when empty. */
  readonly source: string | null;
  /** `lifecyclestage` now (internal value or a custom stage's numeric id); `null` when empty. */
  readonly lifecycleStage: string | null;
  /** `hs_v2_date_entered_customer`; `null` when absent (then lifecycle history decides). */
  readonly becameCustomerAt: EpochMs | null;
  readonly ownerId: string | null;
  /** Archived, GDPR-deleted or merged away: excluded from every KPI. */
  readonly deleted: boolean;
}

/** One entry of a contact's `lifecyclestage` property history; `stage: null` means the value was cleared. */
export interface LifecycleChange {
  readonly contactId: RecordId;
  readonly stage: string | null;
  readonly at: EpochMs;
}

export interface Meeting {
  readonly id: RecordId;
  /** Associated contacts, in any order (the booking contact is chosen by `selectLeadContact`). May be empty. */
  readonly contactIds: readonly RecordId[];
  /** `hs_timestamp`: when the meeting takes place. */
  readonly at: EpochMs;
  /** `hs_meeting_source`, e.g. `MEETINGS_PUBLIC` for a meeting booked through a meetings link. */
  readonly source: string | null;
  /** `hs_createdate`: when it was booked. */
  readonly createdAt: EpochMs;
  readonly deleted: boolean;
}

/**
 * A sales activity logged on a contact (call, outgoing email, meeting, …). `kind` is the loader's
 * lower-case name for the engagement type; which kinds count as sales activities is decided by
 * `SALES_ACTIVITY_KINDS` in speed-to-lead.ts.
 */
export interface Activity {
  readonly id: RecordId;
  readonly contactId: RecordId;
  readonly at: EpochMs;
  readonly kind: string;
}

/**
 * One row of the analytics sources report: visits of one source in one bucket starting at
 * `periodStart`. Buckets must be days (in the portal's time zone) so that they fall inside any
 * week, month, quarter or trailing-days period; `source` uses the `hs_analytics_source` names.
 */
export interface TrafficPoint {
  readonly periodStart: EpochMs;
  readonly source: string;
  readonly visits: number;
}

/** Optional uploaded series of branded search volume (from outside HubSpot), daily buckets like `TrafficPoint`. */
export interface BrandedSearchPoint {
  readonly periodStart: EpochMs;
  readonly volume: number;
}
