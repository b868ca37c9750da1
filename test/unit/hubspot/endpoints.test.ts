import {
  buildAuthorizeUrl,
  CRM_API_VERSION,
  HUBSPOT_PATHS,
  OAUTH_API_VERSION,
} from '../../../src/hubspot/endpoints';
import { API_PATHS } from '../../../src/simulator';

describe('HubSpot endpoints', () => {
  it('uses the date-based versions', () => {
    expect(CRM_API_VERSION).toBe('2026-09');
    expect(OAUTH_API_VERSION).toBe('2026-03');
    expect(HUBSPOT_PATHS.objects('deals')).toBe('/crm/objects/2026-09/deals');
    expect(HUBSPOT_PATHS.oauthToken()).toBe('/oauth/2026-03/token');
  });

  it('agrees with the simulator on every path both know', () => {
    expect(HUBSPOT_PATHS.objects('contacts')).toBe(API_PATHS.objects('contacts'));
    expect(HUBSPOT_PATHS.object('deals', 7)).toBe(API_PATHS.object('deals', 7));
    expect(HUBSPOT_PATHS.batchRead('deals')).toBe(API_PATHS.batchRead('deals'));
    expect(HUBSPOT_PATHS.batchUpdate('deals')).toBe(API_PATHS.batchUpdate('deals'));
    expect(HUBSPOT_PATHS.search('contacts')).toBe(API_PATHS.search('contacts'));
    expect(HUBSPOT_PATHS.associationsBatchRead('deals', 'contacts')).toBe(
      API_PATHS.associationsBatchRead('deals', 'contacts'),
    );
    expect(HUBSPOT_PATHS.pipelines('deals')).toBe(API_PATHS.pipelines('deals'));
    expect(HUBSPOT_PATHS.properties('deals')).toBe(API_PATHS.properties('deals'));
    expect(HUBSPOT_PATHS.propertyGroups('deals')).toBe(API_PATHS.propertyGroups('deals'));
    expect(HUBSPOT_PATHS.owners()).toBe(API_PATHS.owners);
    expect(HUBSPOT_PATHS.accountDetails()).toBe(API_PATHS.accountDetails);
    expect(HUBSPOT_PATHS.oauthToken()).toBe(API_PATHS.token);
    expect(HUBSPOT_PATHS.oauthIntrospect()).toBe(API_PATHS.introspect);
    expect(HUBSPOT_PATHS.oauthRevoke()).toBe(API_PATHS.revoke);
  });

  it('escapes path segments', () => {
    expect(HUBSPOT_PATHS.property('deals', 'a/b')).toBe('/crm/properties/2026-09/deals/a%2Fb');
  });

  it('builds the authorize URL with space-separated scopes (%20, never commas or +)', () => {
    const url = buildAuthorizeUrl('https://app.hubspot.com', {
      clientId: 'cid',
      redirectUri: 'https://kpi.example.com/oauth/callback',
      scopes: ['oauth', 'crm.objects.deals.read'],
      optionalScopes: ['forms'],
      state: 'abc+/=',
    });
    expect(url).toContain('scope=oauth%20crm.objects.deals.read');
    expect(url).toContain('optional_scope=forms');
    const parsed = new URL(url);
    expect(parsed.pathname).toBe('/oauth/authorize');
    expect(parsed.searchParams.get('state')).toBe('abc+/=');
    expect(parsed.searchParams.get('redirect_uri')).toBe('https://kpi.example.com/oauth/callback');
  });
});
