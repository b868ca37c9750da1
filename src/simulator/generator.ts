import {
  CUSTOM_LIFECYCLE_STAGE_ID,
  ENTERPRISE_PIPELINE_ID,
  PIPELINES,
  type AnalyticsSource,
  type Pipeline,
} from './catalog';
import type { Portal } from './portal';
import type { Random } from './random';
import { appendHistory, internSource, SimRecord, type HistorySource, type StoredValue } from './records';
import {
  COMPANY_KINDS,
  COMPANY_PREFIXES,
  COMPANY_SUFFIXES,
  FIRST_NAMES,
  FORMS,
  JOB_TITLES,
  LAST_NAMES,
  MEETING_TITLES,
  PRODUCTS,
  SITE,
  SOURCE_DRILL_DOWNS,
} from './sample-data';
import type { ObjectSchema } from './schema';

/**
 * Seeded generator of a B2B portal. The shape it aims for is documented in
 * docs/simulator.md; the knobs are the tables below. Everything is drawn from
 * `random`, so one seed always produces the same portal.
 */
export type SourceProfile = {
  /** Share of new contacts with this original source. */
  share: number;
  /** Share of its contacts created as subscribers rather than leads. */
  subscriberShare: number;
  /** Probability a lead without a deal becomes an MQL, and an MQL an SQL. */
  mqlRate: number;
  sqlRate: number;
  /** Relative weight when a deal picks its primary contact: how much more often this source produces deals. */
  dealPropensity: number;
  /** Win probability of a default-pipeline deal (enterprise: × ENTERPRISE.winFactor). */
  winRate: number;
  /** Median days from deal creation to close (log-normal, sigma 0.55). */
  cycleMedianDays: number;
  /** Median days from contact creation to its deal's creation (log-normal, sigma 0.8). */
  leadToDealMedianDays: number;
};

export const SOURCE_PROFILES: Readonly<Record<AnalyticsSource, SourceProfile>> = {
  ORGANIC_SEARCH: {
    share: 0.24,
    subscriberShare: 0.25,
    mqlRate: 0.35,
    sqlRate: 0.45,
    dealPropensity: 1.0,
    winRate: 0.3,
    cycleMedianDays: 45,
    leadToDealMedianDays: 30,
  },
  PAID_SEARCH: {
    share: 0.14,
    subscriberShare: 0.1,
    mqlRate: 0.4,
    sqlRate: 0.4,
    dealPropensity: 0.9,
    winRate: 0.22,
    cycleMedianDays: 52,
    leadToDealMedianDays: 21,
  },
  EMAIL_MARKETING: {
    share: 0.07,
    subscriberShare: 0.6,
    mqlRate: 0.3,
    sqlRate: 0.35,
    dealPropensity: 0.6,
    winRate: 0.25,
    cycleMedianDays: 50,
    leadToDealMedianDays: 40,
  },
  SOCIAL_MEDIA: {
    share: 0.07,
    subscriberShare: 0.5,
    mqlRate: 0.2,
    sqlRate: 0.3,
    dealPropensity: 0.4,
    winRate: 0.18,
    cycleMedianDays: 60,
    leadToDealMedianDays: 45,
  },
  PAID_SOCIAL: {
    share: 0.09,
    subscriberShare: 0.3,
    mqlRate: 0.25,
    sqlRate: 0.3,
    dealPropensity: 0.5,
    winRate: 0.15,
    cycleMedianDays: 65,
    leadToDealMedianDays: 35,
  },
  REFERRALS: {
    share: 0.1,
    subscriberShare: 0.05,
    mqlRate: 0.55,
    sqlRate: 0.6,
    dealPropensity: 1.8,
    winRate: 0.45,
    cycleMedianDays: 30,
    leadToDealMedianDays: 14,
  },
  DIRECT_TRAFFIC: {
    share: 0.13,
    subscriberShare: 0.15,
    mqlRate: 0.35,
    sqlRate: 0.45,
    dealPropensity: 1.0,
    winRate: 0.32,
    cycleMedianDays: 42,
    leadToDealMedianDays: 25,
  },
  OTHER_CAMPAIGNS: {
    share: 0.04,
    subscriberShare: 0.3,
    mqlRate: 0.25,
    sqlRate: 0.35,
    dealPropensity: 0.5,
    winRate: 0.2,
    cycleMedianDays: 55,
    leadToDealMedianDays: 30,
  },
  OFFLINE: {
    share: 0.1,
    subscriberShare: 0,
    mqlRate: 0.5,
    sqlRate: 0.55,
    dealPropensity: 1.5,
    winRate: 0.38,
    cycleMedianDays: 75,
    leadToDealMedianDays: 20,
  },
  AI_REFERRALS: {
    share: 0.02,
    subscriberShare: 0.1,
    mqlRate: 0.45,
    sqlRate: 0.5,
    dealPropensity: 1.2,
    winRate: 0.35,
    cycleMedianDays: 38,
    leadToDealMedianDays: 18,
  },
};

export const ENTERPRISE = { share: 0.22, winFactor: 0.8, cycleFactor: 1.8 } as const;
export const DEALS_WITHOUT_CONTACT_SHARE = 0.06;
export const DEALS_WITH_EXTRA_CONTACTS_SHARE = 0.2;
export const FOREIGN_CURRENCY_SHARE = 0.08;
export const STAGE_SKIP_PROBABILITY = 0.15;
export const HISTORY_DAYS = 730;
/** Re-engagement touches (later sessions) are drawn from this mix, whatever the original source. */
export const TOUCH_SOURCE_MIX: readonly (readonly [AnalyticsSource, number])[] = [
  ['EMAIL_MARKETING', 0.3],
  ['DIRECT_TRAFFIC', 0.25],
  ['ORGANIC_SEARCH', 0.15],
  ['PAID_SEARCH', 0.1],
  ['PAID_SOCIAL', 0.07],
  ['SOCIAL_MEDIA', 0.05],
  ['REFERRALS', 0.05],
  ['AI_REFERRALS', 0.03],
];
export const MEETING_SOURCE_MIX = [
  ['MEETINGS_PUBLIC', 0.4],
  ['CRM_UI', 0.3],
  ['BIDIRECTIONAL_SYNC', 0.25],
  ['MEETINGS_EMBEDDED', 0.05],
] as const;

const DAY = 86_400_000;
const HOUR = 3_600_000;

export type GenerateOptions = { anchor: number; contacts: number; deals: number; meetings: number };

export type GenerationSummary = {
  contacts: number;
  deals: number;
  meetings: number;
  dealContactAssociations: number;
  meetingContactAssociations: number;
  anchor: string;
};

type ContactDraft = {
  createdAt: number;
  source: AnalyticsSource;
  data1: string;
  data2: string;
  firstSeen: number;
  ownerIndex: number;
  company: number;
  subscriber: boolean;
  /** Deals this contact is associated with, filled in phase 2. */
  deals: DealDraft[] | null;
  id: number;
};

type DealDraft = {
  createdAt: number;
  pipeline: Pipeline;
  outcome: 'won' | 'lost' | 'open';
  closeAt: number;
  path: { stageId: string; at: number }[];
  amount: number;
  currency: string;
  ownerIndex: number;
  contacts: number[];
  source: AnalyticsSource;
  data1: string;
  data2: string;
  expectedClose: number;
  id: number;
};

const SOURCE_SHARES = Object.entries(SOURCE_PROFILES).map(
  ([source, p]) => [source as AnalyticsSource, p.share] as const,
);

const numberStrings: string[] = [];
function numberString(n: number): string {
  if (n >= 0 && n < 1024 && Number.isInteger(n)) return (numberStrings[n] ??= String(n));
  return String(n);
}

class RecordBuilder {
  constructor(private readonly schema: ObjectSchema) {}

  create(id: number, createdAt: number): SimRecord {
    return new SimRecord(
      id,
      createdAt,
      createdAt,
      new Array<StoredValue | undefined>(this.schema.properties.length),
    );
  }

  set(record: SimRecord, name: string, value: StoredValue | undefined): void {
    if (value === undefined || value === '') return;
    record.values[this.schema.require(name).index] = value;
  }

  version(record: SimRecord, name: string, value: StoredValue, at: number, source: HistorySource): void {
    appendHistory(record, this.schema.require(name), value, at, source);
  }
}

function companyName(index: number): { name: string; domain: string } {
  const combos = COMPANY_PREFIXES.length * COMPANY_SUFFIXES.length * COMPANY_KINDS.length;
  const i = index % combos;
  const prefix = COMPANY_PREFIXES[i % COMPANY_PREFIXES.length] as string;
  const suffix = COMPANY_SUFFIXES[
    Math.floor(i / COMPANY_PREFIXES.length) % COMPANY_SUFFIXES.length
  ] as string;
  const kind = COMPANY_KINDS[
    Math.floor(i / (COMPANY_PREFIXES.length * COMPANY_SUFFIXES.length)) % COMPANY_KINDS.length
  ] as string;
  const round = Math.floor(index / combos);
  const legal = ['', ' Inc.', ' Group', ' GmbH', ' Ltd', ' LLC'][round % 6] as string;
  const base = `${prefix}${suffix}`;
  return {
    name: `${base} ${kind}${legal}`,
    domain: `${base.toLowerCase()}${kind.toLowerCase()}${round > 0 ? String(round) : ''}.example`,
  };
}

function sortedFractions(random: Random, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(random.next());
  return out.sort((a, b) => a - b);
}

/** Fills an empty portal. Owners and account settings already exist; records, histories and associations are added here. */
export function populatePortal(portal: Portal, random: Random, options: GenerateOptions): GenerationSummary {
  const { anchor } = options;
  const start = anchor - HISTORY_DAYS * DAY;
  const span = anchor - start;
  const activeOwners = portal.owners.filter((o) => !o.archived && o.type === 'PERSON');
  const ownerUserSource = activeOwners.map((o) =>
    internSource({ sourceType: 'CRM_UI', updatedByUserId: o.userId }),
  );
  const otherCurrencies = portal.account.additionalCurrencies;

  // Phase 1: contacts' base facts, in creation order.
  const rc = random.fork('contacts');
  const drafts: ContactDraft[] = new Array<ContactDraft>(options.contacts);
  const companyCount = Math.max(20, Math.ceil(options.contacts / 3));
  for (let i = 0; i < options.contacts; i++) {
    // Growth: density rises over the two years, so recent months hold more contacts.
    const createdAt = Math.min(anchor - 60_000, Math.floor(start + span * Math.pow(rc.next(), 1 / 1.4)));
    const source = rc.weighted(SOURCE_SHARES);
    const profile = SOURCE_PROFILES[source];
    const drill = SOURCE_DRILL_DOWNS[source] ?? { data1: [''], data2: [''], pages: [] };
    const online = source !== 'OFFLINE';
    const sameSession = rc.chance(0.3);
    const firstSeen = online
      ? createdAt -
        (sameSession ? rc.int(0, 30 * 60_000) : Math.min(60 * DAY, Math.floor(rc.logNormal(5 * DAY, 1.2))))
      : createdAt;
    drafts[i] = {
      createdAt,
      source,
      data1: rc.pick(drill.data1),
      data2: rc.pick(drill.data2),
      firstSeen: Math.max(start - 60 * DAY, firstSeen),
      ownerIndex: rc.int(0, activeOwners.length - 1),
      company: Math.floor(companyCount * Math.pow(rc.next(), 1.3)),
      subscriber: rc.chance(profile.subscriberShare),
      deals: null,
      id: 0,
    };
  }
  drafts.sort((a, b) => a.createdAt - b.createdAt);
  const contactStore = portal.stores.contacts;
  for (const draft of drafts) draft.id = contactStore.allocateId(rc.int(1, 3));
  const byCompany = new Map<number, number[]>();
  drafts.forEach((d, i) => {
    const list = byCompany.get(d.company);
    if (list) list.push(i);
    else byCompany.set(d.company, [i]);
  });

  // Phase 2: deals, each attached to a primary contact picked by its source's propensity.
  const rd = random.fork('deals');
  const cumulative = new Float64Array(drafts.length);
  let total = 0;
  drafts.forEach((d, i) => {
    total += SOURCE_PROFILES[d.source].dealPropensity * (anchor - d.createdAt > DAY ? 1 : 0.05);
    cumulative[i] = total;
  });
  const pickContact = (): number => {
    const target = rd.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const dealDrafts: DealDraft[] = [];
  for (let j = 0; j < options.deals; j++) {
    const withoutContact = drafts.length === 0 || rd.chance(DEALS_WITHOUT_CONTACT_SHARE);
    let createdAt: number;
    let source: AnalyticsSource = 'OFFLINE';
    let data1 = 'CRM_UI';
    let data2 = 'sales-rep';
    const contacts: number[] = [];
    let ownerIndex = rd.int(0, Math.max(0, activeOwners.length - 1));
    if (withoutContact) {
      createdAt = Math.min(anchor - HOUR, Math.floor(start + span * Math.pow(rd.next(), 1 / 1.4)));
    } else {
      const primary = pickContact();
      const contact = drafts[primary] as ContactDraft;
      const lag = rd.logNormal(SOURCE_PROFILES[contact.source].leadToDealMedianDays * DAY, 0.8);
      createdAt = Math.floor(contact.createdAt + lag);
      if (createdAt > anchor - HOUR)
        createdAt = Math.floor(
          contact.createdAt + rd.next() * Math.max(0, anchor - HOUR - contact.createdAt),
        );
      source = contact.source;
      data1 = contact.data1;
      data2 = contact.data2;
      ownerIndex = contact.ownerIndex;
      contacts.push(primary);
      if (rd.chance(DEALS_WITH_EXTRA_CONTACTS_SHARE)) {
        const colleagues = byCompany.get(contact.company) ?? [];
        const extra = rd.int(1, 2);
        for (let k = 0; k < extra * 4 && contacts.length < extra + 1; k++) {
          const candidate =
            colleagues.length > 1 && rd.chance(0.7) ? rd.pick(colleagues) : rd.int(0, drafts.length - 1);
          if (!contacts.includes(candidate) && (drafts[candidate] as ContactDraft).createdAt < createdAt)
            contacts.push(candidate);
        }
      }
    }
    const enterprise = rd.chance(ENTERPRISE.share);
    const pipeline = PIPELINES.find(
      (p) => p.id === (enterprise ? ENTERPRISE_PIPELINE_ID : 'default'),
    ) as Pipeline;
    const profile = SOURCE_PROFILES[source];
    const cycle = rd.logNormal(
      profile.cycleMedianDays * (enterprise ? ENTERPRISE.cycleFactor : 1) * DAY,
      0.55,
    );
    const won = rd.chance(profile.winRate * (enterprise ? ENTERPRISE.winFactor : 1));
    const closeAfter = won ? cycle : cycle * (0.25 + 0.75 * rd.next());
    const closed = createdAt + closeAfter <= anchor;
    const outcome: DealDraft['outcome'] = closed ? (won ? 'won' : 'lost') : 'open';
    const closeAt = closed ? Math.floor(createdAt + closeAfter) : 0;
    const openStages = pipeline.stages.filter((s) => !s.isClosed);
    let reached: number;
    if (outcome === 'won') reached = openStages.length;
    else if (outcome === 'lost') reached = 1 + Math.floor(Math.pow(rd.next(), 1.5) * openStages.length);
    else
      reached = Math.min(
        openStages.length,
        1 + Math.floor(((anchor - createdAt) / closeAfter) * openStages.length),
      );
    reached = Math.min(reached, openStages.length);
    const visited = openStages
      .slice(0, reached)
      .filter((_, k) => k === reached - 1 || !rd.chance(k === 0 ? 0.08 : STAGE_SKIP_PROBABILITY));
    const end = closed ? closeAt : anchor - HOUR;
    const fractions = sortedFractions(rd, visited.length - 1);
    const path = visited.map((stage, k) => ({
      stageId: stage.id,
      at:
        k === 0
          ? createdAt
          : Math.floor(createdAt + (end - createdAt) * (fractions[k - 1] as number) * (closed ? 0.95 : 1)) +
            k,
    }));
    if (closed) {
      const final = pipeline.stages.find(
        (s) => s.isClosed && (won ? s.probability === 1 : s.probability === 0),
      );
      if (final)
        path.push({ stageId: final.id, at: Math.max(closeAt, (path[path.length - 1]?.at ?? createdAt) + 1) });
    }
    const median = enterprise ? 65_000 : 12_000;
    const step = enterprise ? 1000 : 100;
    const amount = Math.max(step, Math.round(rd.logNormal(median, enterprise ? 0.5 : 0.6) / step) * step);
    const currency =
      otherCurrencies.length > 0 && rd.chance(FOREIGN_CURRENCY_SHARE)
        ? rd.pick(otherCurrencies)
        : portal.homeCurrency;
    dealDrafts.push({
      createdAt,
      pipeline,
      outcome,
      closeAt: path[path.length - 1]?.at ?? createdAt,
      path,
      amount,
      currency,
      ownerIndex,
      contacts,
      source,
      data1,
      data2,
      expectedClose: Math.floor(
        createdAt + profile.cycleMedianDays * (enterprise ? ENTERPRISE.cycleFactor : 1) * DAY,
      ),
      id: 0,
    });
  }
  dealDrafts.sort((a, b) => a.createdAt - b.createdAt);
  for (const deal of dealDrafts) {
    deal.id = portal.stores.deals.allocateId(rd.int(1, 4));
    for (const ci of deal.contacts) ((drafts[ci] as ContactDraft).deals ??= []).push(deal);
  }

  // Phase 3: contact records with lifecycle and touch histories consistent with their deals.
  const contactSchema = portal.schemas.contacts;
  const cb = new RecordBuilder(contactSchema);
  const rl = random.fork('lifecycle');
  const usedEmails = new Set<string>();
  const companies = new Map<number, { name: string; domain: string }>();
  const formSource = internSource({ sourceType: 'FORM', sourceLabel: 'Form submission' });
  const analyticsSource = internSource({ sourceType: 'ANALYTICS' });
  const mqlSource = internSource({
    sourceType: 'AUTOMATION_PLATFORM',
    sourceId: 'flow-1101',
    sourceLabel: 'MQL scoring workflow',
  });
  const pqlSource = internSource({
    sourceType: 'INTEGRATION',
    sourceId: 'product-usage-sync',
    sourceLabel: 'Product usage sync',
  });
  const dealSyncSource = internSource({
    sourceType: 'AUTOMATION_PLATFORM',
    sourceLabel: 'Lifecycle stage sync: deal created',
  });
  const wonSyncSource = internSource({
    sourceType: 'AUTOMATION_PLATFORM',
    sourceLabel: 'Lifecycle stage sync: deal won',
  });
  const importSource = internSource({
    sourceType: 'IMPORT',
    sourceId: 'import-7',
    sourceLabel: 'trade-show-2025.csv',
  });
  const integrationSource = internSource({
    sourceType: 'INTEGRATION',
    sourceId: 'zoominfo',
    sourceLabel: 'ZoomInfo',
  });

  for (const draft of drafts) {
    const record = cb.create(draft.id, draft.createdAt);
    const owner = activeOwners[draft.ownerIndex];
    const ownerSource = ownerUserSource[draft.ownerIndex] ?? internSource({ sourceType: 'CRM_UI' });
    const first = rl.pick(FIRST_NAMES);
    const last = rl.pick(LAST_NAMES);
    let company = companies.get(draft.company);
    if (!company) {
      company = companyName(draft.company);
      companies.set(draft.company, company);
    }
    const local = `${first}.${last}`
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z.]/g, '');
    let email = `${local}@${company.domain}`;
    for (let n = 2; usedEmails.has(email); n++) email = `${local}${n}@${company.domain}`;
    usedEmails.add(email);
    cb.set(record, 'email', email);
    cb.set(record, 'firstname', first);
    cb.set(record, 'lastname', last);
    cb.set(record, 'company', company.name);
    cb.set(record, 'jobtitle', rl.pick(JOB_TITLES));
    if (rl.chance(0.6))
      cb.set(record, 'phone', `+1 555 ${String(rl.int(100, 999))} ${String(rl.int(1000, 9999))}`);

    const deals = draft.deals ?? [];
    const firstDealAt = deals.length > 0 ? Math.min(...deals.map((d) => d.createdAt)) : Infinity;
    const wonDeals = deals.filter((d) => d.outcome === 'won');
    const firstWonAt = wonDeals.length > 0 ? Math.min(...wonDeals.map((d) => d.closeAt)) : Infinity;
    const profile = SOURCE_PROFILES[draft.source];

    // Lifecycle: forward-only, with the entry times of each stage.
    const stages: { stage: string; at: number; source: HistorySource }[] = [];
    const startSource =
      draft.source !== 'OFFLINE'
        ? formSource
        : draft.data1 === 'IMPORT'
          ? importSource
          : draft.data1 === 'INTEGRATION'
            ? integrationSource
            : ownerSource;
    stages.push({
      stage: draft.subscriber ? 'subscriber' : 'lead',
      at: draft.createdAt,
      source: startSource,
    });
    if (deals.length > 0) {
      const ladder: { stage: string; source: HistorySource }[] = [];
      if (draft.subscriber) ladder.push({ stage: 'lead', source: formSource });
      ladder.push({ stage: 'marketingqualifiedlead', source: mqlSource });
      if (rl.chance(0.3)) ladder.push({ stage: CUSTOM_LIFECYCLE_STAGE_ID, source: pqlSource });
      if (rl.chance(0.85)) ladder.push({ stage: 'salesqualifiedlead', source: ownerSource });
      const fractions = sortedFractions(rl, ladder.length);
      ladder.forEach((step, k) => {
        stages.push({
          stage: step.stage,
          at:
            Math.floor(draft.createdAt + (firstDealAt - draft.createdAt) * (fractions[k] as number) * 0.98) +
            k +
            1,
          source: step.source,
        });
      });
      stages.push({ stage: 'opportunity', at: firstDealAt + 1, source: dealSyncSource });
      if (firstWonAt < Infinity) {
        stages.push({ stage: 'customer', at: firstWonAt + 1, source: wonSyncSource });
        const evangelistAt = firstWonAt + Math.floor(rl.logNormal(60 * DAY, 0.6));
        if (rl.chance(0.12) && evangelistAt < anchor)
          stages.push({ stage: 'evangelist', at: evangelistAt, source: ownerSource });
      }
    } else {
      let at = draft.createdAt;
      const advance = (
        stage: string,
        probability: number,
        medianDays: number,
        source: HistorySource,
      ): boolean => {
        if (!rl.chance(probability)) return false;
        const next = at + Math.floor(rl.logNormal(medianDays * DAY, 0.9)) + 1;
        if (next >= anchor) return false;
        at = next;
        stages.push({ stage, at, source });
        return true;
      };
      const isLead = !draft.subscriber || advance('lead', 0.45, 20, formSource);
      if (isLead && advance('marketingqualifiedlead', profile.mqlRate, 10, mqlSource)) {
        advance(CUSTOM_LIFECYCLE_STAGE_ID, 0.25, 7, pqlSource);
        advance('salesqualifiedlead', profile.sqlRate * 0.6, 12, ownerSource);
      }
    }
    for (const step of stages) {
      cb.version(record, 'lifecyclestage', step.stage, step.at, step.source);
      cb.set(record, `hs_v2_date_entered_${step.stage}`, step.at);
    }
    const mql = stages.find((s) => s.stage === 'marketingqualifiedlead');
    const ownerAssignedAt =
      draft.source === 'OFFLINE' ? draft.createdAt : mql ? mql.at : deals.length > 0 ? firstDealAt : 0;
    if (owner && ownerAssignedAt > 0) {
      cb.set(record, 'hubspot_owner_id', owner.id);
      cb.set(record, 'hubspot_owner_assigneddate', ownerAssignedAt);
    }

    // Sources: the original one, and the touch trail in hs_latest_source's history.
    cb.set(record, 'hs_analytics_source', draft.source);
    cb.set(record, 'hs_analytics_source_data_1', draft.data1);
    cb.set(record, 'hs_analytics_source_data_2', draft.data2);
    cb.set(record, 'hs_analytics_first_timestamp', draft.firstSeen);
    const lastMilestone = stages[stages.length - 1]?.at ?? draft.createdAt;
    const horizon = Math.min(anchor - 1, Math.max(lastMilestone, draft.createdAt + 90 * DAY) + 30 * DAY);
    const extraTouches = rl.poisson(0.8 + (deals.length > 0 ? 1.5 : 0) + (mql ? 0.7 : 0));
    const touchTimes = sortedFractions(rl, extraTouches).map(
      (f) => Math.floor(draft.createdAt + (horizon - draft.createdAt) * f) + 1,
    );
    const touches: { source: AnalyticsSource; at: number }[] = [
      { source: draft.source, at: draft.firstSeen },
    ];
    for (const at of touchTimes) touches.push({ source: rl.weighted(TOUCH_SOURCE_MIX), at });
    let latestData1 = draft.data1;
    let latestData2 = draft.data2;
    for (const touch of touches) {
      cb.version(record, 'hs_latest_source', touch.source, touch.at, analyticsSource);
      if (touch !== touches[0]) {
        const drill = SOURCE_DRILL_DOWNS[touch.source];
        latestData1 = drill ? rl.pick(drill.data1) : '';
        latestData2 = drill ? rl.pick(drill.data2) : '';
      }
    }
    const lastTouch = touches[touches.length - 1] as { source: AnalyticsSource; at: number };
    cb.set(record, 'hs_latest_source_data_1', latestData1);
    cb.set(record, 'hs_latest_source_data_2', latestData2);
    cb.set(record, 'hs_latest_source_timestamp', lastTouch.at);
    const drill = SOURCE_DRILL_DOWNS[draft.source];
    const online = draft.source !== 'OFFLINE';
    const visits = (online ? 1 : 0) + extraTouches + rl.poisson(1.5);
    if (visits > 0) {
      cb.set(record, 'hs_analytics_num_visits', numberString(visits));
      cb.set(record, 'hs_analytics_num_page_views', numberString(visits + rl.poisson(visits * 1.8)));
      cb.set(record, 'hs_analytics_first_visit_timestamp', online ? draft.firstSeen : touches[1]?.at);
      cb.set(record, 'hs_analytics_last_visit_timestamp', lastTouch.at);
    } else {
      cb.set(record, 'hs_analytics_num_visits', '0');
      cb.set(record, 'hs_analytics_num_page_views', '0');
    }
    if (online && drill && drill.pages.length > 0)
      cb.set(record, 'hs_analytics_first_url', `${SITE}${rl.pick(drill.pages)}`);
    if (online && drill?.referrers) cb.set(record, 'hs_analytics_first_referrer', rl.pick(drill.referrers));

    // Form conversions: creation through a form, then some later touches.
    const conversions: { at: number; form: string }[] = [];
    if (online)
      conversions.push({
        at: draft.createdAt,
        form: draft.subscriber ? rl.pick(FORMS.slice(0, 5)) : rl.pick(FORMS.slice(1)),
      });
    for (const at of touchTimes) if (rl.chance(0.3)) conversions.push({ at, form: rl.pick(FORMS) });
    conversions.sort((a, b) => a.at - b.at);
    if (conversions.length > 0) {
      const firstConversion = conversions[0] as { at: number; form: string };
      const recent = conversions[conversions.length - 1] as { at: number; form: string };
      cb.set(record, 'first_conversion_date', firstConversion.at);
      cb.set(record, 'first_conversion_event_name', `${firstConversion.form}: Form`);
      cb.set(record, 'recent_conversion_date', recent.at);
      cb.set(record, 'recent_conversion_event_name', `${recent.form}: Form`);
    }
    cb.set(record, 'num_conversion_events', numberString(conversions.length));
    cb.set(
      record,
      'num_unique_conversion_events',
      numberString(new Set(conversions.map((c) => c.form)).size),
    );

    record.updatedAt = Math.max(
      draft.createdAt,
      lastMilestone,
      lastTouch.at,
      conversions[conversions.length - 1]?.at ?? 0,
    );
    contactStore.insert(record);
  }

  // Phase 4: deal records and their associations.
  const db = new RecordBuilder(portal.schemas.deals);
  const rn = random.fork('deal-names');
  for (const deal of dealDrafts) {
    const record = db.create(deal.id, deal.createdAt);
    const owner = activeOwners[deal.ownerIndex];
    const ownerSource = ownerUserSource[deal.ownerIndex] ?? internSource({ sourceType: 'CRM_UI' });
    const primary = deal.contacts[0] !== undefined ? drafts[deal.contacts[0]] : undefined;
    const companyLabel = primary
      ? (companies.get(primary.company)?.name ?? 'Unknown company')
      : companyName(rn.int(0, companyCount - 1)).name;
    db.set(record, 'dealname', `${companyLabel} – ${rn.pick(PRODUCTS)}`);
    db.set(record, 'amount', numberString(deal.amount));
    db.set(record, 'deal_currency_code', deal.currency);
    db.set(record, 'amount_in_home_currency', String(portal.toHomeCurrency(deal.amount, deal.currency)));
    db.set(record, 'pipeline', deal.pipeline.id);
    for (const step of deal.path) {
      db.version(record, 'dealstage', step.stageId, step.at, ownerSource);
      db.set(record, `hs_v2_date_entered_${step.stageId}`, step.at);
    }
    const current = deal.pipeline.stages.find((s) => s.id === deal.path[deal.path.length - 1]?.stageId);
    const isClosed = deal.outcome !== 'open';
    db.set(record, 'closedate', isClosed ? deal.closeAt : deal.expectedClose);
    db.set(record, 'hs_is_closed', isClosed ? 'true' : 'false');
    db.set(record, 'hs_is_closed_won', deal.outcome === 'won' ? 'true' : 'false');
    db.set(record, 'hs_is_closed_lost', deal.outcome === 'lost' ? 'true' : 'false');
    db.set(record, 'hs_deal_stage_probability', String(current?.probability ?? 0));
    if (isClosed)
      db.set(
        record,
        'days_to_close',
        numberString(Math.max(0, Math.floor((deal.closeAt - deal.createdAt) / DAY))),
      );
    const repeat = primary?.deals?.some((d) => d.outcome === 'won' && d.closeAt < deal.createdAt) ?? false;
    db.set(record, 'dealtype', repeat ? 'existingbusiness' : 'newbusiness');
    if (owner) db.set(record, 'hubspot_owner_id', owner.id);
    db.set(record, 'hs_analytics_source', deal.source);
    db.set(record, 'hs_analytics_source_data_1', deal.data1);
    db.set(record, 'hs_analytics_source_data_2', deal.data2);
    record.updatedAt = Math.max(deal.createdAt, deal.path[deal.path.length - 1]?.at ?? 0);
    portal.stores.deals.insert(record);
    for (const ci of deal.contacts)
      portal.associations.add('deal_contact', deal.id, (drafts[ci] as ContactDraft).id);
  }

  // Phase 5: meetings, mostly around deal creation, some booked through a scheduling link.
  const mb = new RecordBuilder(portal.schemas.meetings);
  const rm = random.fork('meetings');
  const dealContacts = drafts.filter((d) => (d.deals?.length ?? 0) > 0);
  const engaged = drafts.filter((d) => (d.deals?.length ?? 0) === 0 && anchor - d.createdAt > 2 * DAY);
  type MeetingDraft = {
    createdAt: number;
    start: number;
    contacts: ContactDraft[];
    source: string;
    ownerIndex: number;
  };
  const meetingDrafts: MeetingDraft[] = [];
  for (let m = 0; m < options.meetings && drafts.length > 0; m++) {
    const aroundDeal = dealContacts.length > 0 && (engaged.length === 0 || rm.chance(0.7));
    const contact = aroundDeal
      ? rm.pick(dealContacts)
      : engaged.length > 0
        ? rm.pick(engaged)
        : rm.pick(drafts);
    const pivot = aroundDeal
      ? Math.min(...(contact.deals ?? []).map((d) => d.createdAt))
      : contact.createdAt + rm.next() * (anchor - contact.createdAt);
    const startAt = Math.floor(
      Math.min(
        anchor + 14 * DAY,
        Math.max(contact.createdAt + HOUR, pivot - rm.next() * 14 * DAY + (aroundDeal ? 0 : 2 * DAY)),
      ),
    );
    const source = rm.weighted(MEETING_SOURCE_MIX);
    const booked = Math.floor(
      Math.max(contact.createdAt, startAt - rm.int(1, 10) * DAY + rm.int(0, 8) * HOUR),
    );
    const createdAt = Math.min(booked, anchor - 60_000);
    const contacts = [contact];
    if (rm.chance(0.1)) {
      const colleague = rm.pick(drafts);
      if (colleague !== contact && colleague.createdAt <= createdAt) contacts.push(colleague);
    }
    meetingDrafts.push({ createdAt, start: startAt, contacts, source, ownerIndex: contact.ownerIndex });
  }
  meetingDrafts.sort((a, b) => a.createdAt - b.createdAt);
  for (const meeting of meetingDrafts) {
    const id = portal.stores.meetings.allocateId(rm.int(1, 5));
    const record = mb.create(id, meeting.createdAt);
    const contact = meeting.contacts[0] as ContactDraft;
    const duration = rm.pick([30, 30, 45, 60]) * 60_000;
    mb.set(record, 'hs_timestamp', meeting.start);
    mb.set(record, 'hs_meeting_start_time', meeting.start);
    mb.set(record, 'hs_meeting_end_time', meeting.start + duration);
    mb.set(
      record,
      'hs_meeting_title',
      `${rm.pick(MEETING_TITLES)} – ${companies.get(contact.company)?.name ?? 'prospect'}`,
    );
    mb.set(record, 'hs_meeting_source', meeting.source);
    const outcome =
      meeting.start > anchor
        ? 'SCHEDULED'
        : rm.weighted([
            ['COMPLETED', 0.8],
            ['NO_SHOW', 0.1],
            ['RESCHEDULED', 0.05],
            ['CANCELED', 0.05],
          ] as const);
    mb.set(record, 'hs_meeting_outcome', outcome);
    const owner = activeOwners[meeting.ownerIndex];
    if (owner) mb.set(record, 'hubspot_owner_id', owner.id);
    record.updatedAt = Math.min(anchor - 1, Math.max(meeting.createdAt, meeting.start + duration));
    portal.stores.meetings.insert(record);
    for (const c of meeting.contacts) portal.associations.add('meeting_contact', id, c.id);
  }

  return {
    contacts: contactStore.size,
    deals: portal.stores.deals.size,
    meetings: portal.stores.meetings.size,
    dealContactAssociations: portal.associations.count('deal_contact'),
    meetingContactAssociations: portal.associations.count('meeting_contact'),
    anchor: new Date(anchor).toISOString(),
  };
}
