import { computeBrandTraffic } from '../../../../src/kpi/models/metrics/brand-traffic';
import { getReason } from '../../../../src/kpi/models/metrics/stats';
import { at, makeContact, month, traffic } from './fixtures';

describe('computeBrandTraffic', () => {
  const points = [
    traffic('DIRECT_TRAFFIC', '2026-02-03', 60),
    traffic('DIRECT_TRAFFIC', '2026-02-04', 40),
    traffic('ORGANIC_SEARCH', '2026-02-03', 200),
    traffic('DIRECT_TRAFFIC', '2026-03-03', 150),
    traffic('PAID_SEARCH', '2026-03-03', 10),
  ];
  const contacts = [
    makeContact({ id: 'c1', source: 'DIRECT_TRAFFIC', createdAt: at('2026-03-02T00:00:00Z') }),
    makeContact({ id: 'c2', source: 'DIRECT_TRAFFIC', createdAt: at('2026-03-03T00:00:00Z') }),
    makeContact({ id: 'c3', source: 'DIRECT_TRAFFIC', createdAt: at('2026-03-04T00:00:00Z'), deleted: true }),
    makeContact({ id: 'c4', source: 'ORGANIC_SEARCH', createdAt: at('2026-03-04T00:00:00Z') }),
  ];

  it('direct and organic visits, DIRECT_TRAFFIC contacts, each against the previous period', () => {
    const r = computeBrandTraffic({ traffic: points, contacts, period: month('2026-03') });
    expect(r.current.directVisits.value).toBe(150);
    expect(r.previous.directVisits.value).toBe(100);
    expect(r.change.directVisits.absolute.value).toBe(50);
    expect(r.change.directVisits.relative.value).toBe(0.5);
    // March has report rows, none organic: 0, not unknown.
    expect(r.current.organicVisits.value).toBe(0);
    expect(r.change.organicVisits.relative.value).toBe(-1);
    expect(r.current.directTrafficContacts.inputs.ids).toEqual(['c1', 'c2']);
    expect(r.previous.directTrafficContacts.value).toBe(0);
    expect(getReason(r.change.directTrafficContacts.relative)).toBe('previous period value is 0');
    expect(r.current.directVisits.inputs.rows).toEqual(['DIRECT_TRAFFIC@2026-03-03T00:00:00.000Z']);
  });

  it('no analytics rows at all for a period: visits unknown, change unknown', () => {
    const r = computeBrandTraffic({ traffic: points, contacts, period: month('2026-04') });
    expect(getReason(r.current.directVisits)).toBe('no analytics data for period');
    expect(getReason(r.change.directVisits.absolute)).toBe(
      'current period unknown: no analytics data for period',
    );
  });

  it('branded search volume is optional', () => {
    const without = computeBrandTraffic({ traffic: points, contacts, period: month('2026-03') });
    expect(getReason(without.current.brandedSearchVolume)).toBe('no branded search series uploaded');
    const series = [
      { periodStart: at('2026-02-01T00:00:00Z'), volume: 10 },
      { periodStart: at('2026-03-01T00:00:00Z'), volume: 12 },
      { periodStart: at('2026-03-02T00:00:00Z'), volume: 8 },
    ];
    const withSeries = computeBrandTraffic({
      traffic: points,
      contacts,
      period: month('2026-03'),
      brandedSearch: series,
    });
    expect(withSeries.current.brandedSearchVolume.value).toBe(20);
    expect(withSeries.change.brandedSearchVolume.relative.value).toBe(1);
    const gap = computeBrandTraffic({
      traffic: points,
      contacts,
      period: month('2026-05'),
      brandedSearch: series,
    });
    expect(getReason(gap.current.brandedSearchVolume)).toBe('no branded search data for period');
  });
});
