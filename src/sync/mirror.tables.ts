import type { ColumnType, Selectable } from 'kysely';

/** Typed shape of the CRM mirror (migration 20261123T200000Z-create-crm-mirror). */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Json = ColumnType<
  Record<string, string | null>,
  string | Record<string, string | null> | undefined,
  string | Record<string, string | null>
>;

export interface OwnerTable {
  portal_id: number;
  owner_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  user_id: number | null;
  archived: Defaulted<boolean>;
  synced_at: DefaultedTimestamp;
}

export interface PipelineTable {
  portal_id: number;
  pipeline_id: string;
  label: string;
  display_order: Defaulted<number>;
  archived: Defaulted<boolean>;
  qualified_stage_id: string | null;
  synced_at: DefaultedTimestamp;
}

export interface PipelineStageTable {
  portal_id: number;
  pipeline_id: string;
  stage_id: string;
  label: string;
  display_order: Defaulted<number>;
  is_closed: boolean;
  probability: number | null;
  is_won: ColumnType<boolean, never, never>;
  archived: Defaulted<boolean>;
}

export interface LifecycleStageTable {
  portal_id: number;
  stage_id: string;
  label: string;
  display_order: number;
  archived: Defaulted<boolean>;
}

export interface ContactTable {
  portal_id: number;
  contact_id: number;
  email: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  lifecycle_stage: string | null;
  owner_id: string | null;
  analytics_source: string | null;
  analytics_source_data_1: string | null;
  analytics_source_data_2: string | null;
  latest_source: string | null;
  latest_source_at: Timestamp | null;
  first_visit_at: Timestamp | null;
  first_conversion_at: Timestamp | null;
  recent_conversion_at: Timestamp | null;
  became_customer_at: Timestamp | null;
  page_views: number | null;
  visits: number | null;
  properties: Json;
  archived: Defaulted<boolean>;
  merged_into: number | null;
  synced_at: DefaultedTimestamp;
}

export interface DealTable {
  portal_id: number;
  deal_id: number;
  name: string | null;
  pipeline_id: string | null;
  stage_id: string | null;
  amount: number | null;
  amount_home: number | null;
  currency: string | null;
  owner_id: string | null;
  analytics_source: string | null;
  created_at: Timestamp;
  close_date: Timestamp | null;
  is_closed: Defaulted<boolean>;
  is_won: Defaulted<boolean>;
  updated_at: Timestamp;
  properties: Json;
  archived: Defaulted<boolean>;
  synced_at: DefaultedTimestamp;
}

export interface DealContactTable {
  portal_id: number;
  deal_id: number;
  contact_id: number;
  is_primary: Defaulted<boolean>;
}

export interface ContactLifecycleHistoryTable {
  portal_id: number;
  contact_id: number;
  changed_at: Timestamp;
  stage: string | null;
  source_type: string | null;
}

export interface DealStageHistoryTable {
  portal_id: number;
  deal_id: number;
  changed_at: Timestamp;
  stage_id: string;
  source_type: string | null;
}

export interface MeetingTable {
  portal_id: number;
  meeting_id: number;
  occurred_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  meeting_source: string | null;
  outcome: string | null;
  owner_id: string | null;
  properties: Json;
  archived: Defaulted<boolean>;
  synced_at: DefaultedTimestamp;
}

export interface MeetingContactTable {
  portal_id: number;
  meeting_id: number;
  contact_id: number;
}

/** A call or an email (migration 20261130T060409Z-activities-and-traffic); meetings have their own table. */
export interface ActivityTable {
  portal_id: number;
  kind: ActivityKind;
  activity_id: number;
  /** `hs_timestamp`. */
  occurred_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  email_direction: string | null;
  owner_id: string | null;
  properties: Json;
  archived: Defaulted<boolean>;
  synced_at: DefaultedTimestamp;
}

export type ActivityKind = 'call' | 'email';

export interface ActivityContactTable {
  portal_id: number;
  kind: ActivityKind;
  activity_id: number;
  contact_id: number;
}

export interface TouchTable {
  portal_id: number;
  touch_id: string;
  contact_id: number;
  occurred_at: Timestamp;
  channel: string;
  kind: string;
  detail_1: string | null;
  detail_2: string | null;
}

export interface WebTrafficDailyTable {
  portal_id: number;
  /** pg reads a `date` as a Date at local midnight: select `day::text` for the calendar day. */
  day: ColumnType<Date, string, string>;
  source: string;
  visits: number;
}

export interface MirrorTables {
  owners: OwnerTable;
  pipelines: PipelineTable;
  pipeline_stages: PipelineStageTable;
  lifecycle_stages: LifecycleStageTable;
  contacts: ContactTable;
  deals: DealTable;
  deal_contacts: DealContactTable;
  contact_lifecycle_history: ContactLifecycleHistoryTable;
  deal_stage_history: DealStageHistoryTable;
  meetings: MeetingTable;
  meeting_contacts: MeetingContactTable;
  activities: ActivityTable;
  activity_contacts: ActivityContactTable;
  touches: TouchTable;
  web_traffic_daily: WebTrafficDailyTable;
}

export type ContactRow = Selectable<ContactTable>;
export type DealRow = Selectable<DealTable>;
