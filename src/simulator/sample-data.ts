/** Word lists the generator draws names, companies and pages from. */
export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Isabella', 'Lucas', 'Mia', 'Mateo',
  'Amelia', 'Benjamin', 'Harper', 'Henry', 'Evelyn', 'Theodore', 'Luna', 'Jack', 'Camila', 'Levi', 'Sofia',
  'Alexander', 'Aria', 'Jackson', 'Scarlett', 'Daniel', 'Chloe', 'Samuel', 'Priya', 'Arjun', 'Mei', 'Wei',
  'Yuki', 'Hiroshi', 'Fatima', 'Omar', 'Lena', 'Jonas', 'Clara', 'Felix', 'Ines', 'Hugo', 'Elena', 'Marco',
  'Sara', 'David', 'Nina', 'Tomás', 'Zoë', 'Björn', 'Chiara', 'Rafael', 'Amara', 'Kwame', 'Ingrid', 'Pavel',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Patel',
  'Nguyen', 'Kim', 'Chen', 'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Rossi', 'Bianchi', 'Dubois',
  'Lefebvre', 'Nakamura', 'Tanaka', 'Kowalski', 'Nowak', 'Andersson', 'Johansson', "O'Brien", 'Murphy',
];

export const COMPANY_PREFIXES = [
  'North', 'Blue', 'Bright', 'Iron', 'Silver', 'Quantum', 'Summit', 'Harbor', 'Cedar', 'Atlas', 'Nova', 'Apex',
  'Pioneer', 'Granite', 'Vertex', 'Lumen', 'Orbit', 'Pacific', 'Meridian', 'Crest', 'Falcon', 'Evergreen',
  'Redwood', 'Stellar', 'Beacon', 'Cobalt', 'Horizon', 'Keystone', 'Maple', 'Prism',
];

export const COMPANY_SUFFIXES = [
  'wind', 'stone', 'path', 'field', 'works', 'logic', 'forge', 'point', 'wave', 'bridge', 'line', 'gate',
  'peak', 'labs', 'soft', 'ware', 'scale', 'base', 'stack', 'flow',
];

export const COMPANY_KINDS = [
  'Analytics', 'Systems', 'Logistics', 'Health', 'Manufacturing', 'Software', 'Consulting', 'Capital',
  'Robotics', 'Energy', 'Media', 'Security', 'Foods', 'Networks', 'Partners', 'Industries',
];

export const JOB_TITLES = [
  'VP of Marketing', 'Marketing Manager', 'Head of Growth', 'Demand Generation Manager', 'CMO', 'CEO', 'CTO',
  'VP of Sales', 'Sales Director', 'Revenue Operations Manager', 'Operations Manager', 'Product Manager',
  'Director of IT', 'Software Engineer', 'Founder', 'Customer Success Manager', 'Procurement Lead', 'CFO',
];

export const PRODUCTS = ['Starter plan', 'Professional plan', 'Enterprise plan', 'Annual renewal', 'Seat expansion', 'Onboarding package', 'Data add-on', 'Platform license'];

export const FORMS = ['Newsletter signup', 'Demo request', 'Contact us', 'Ebook: The B2B Attribution Playbook', 'Webinar registration', 'Free trial signup', 'Pricing inquiry', 'Case study download'];

export const MEETING_TITLES = ['Discovery call', 'Product demo', 'Technical deep dive', 'Pricing discussion', 'Kickoff', 'Quarterly review'];

export const SITE = 'https://www.kpibridge-demo.example';

/** Drill-down values per source, as HubSpot fills hs_analytics_source_data_1 / _data_2. */
export const SOURCE_DRILL_DOWNS: Readonly<Record<string, { data1: readonly string[]; data2: readonly string[]; referrers?: readonly string[]; pages: readonly string[] }>> = {
  ORGANIC_SEARCH: { data1: ['google', 'bing', 'duckduckgo'], data2: ['Keywords unavailable', 'b2b attribution software', 'pipeline velocity', 'hubspot kpi dashboard'], referrers: ['https://www.google.com/', 'https://www.bing.com/'], pages: ['/blog/attribution-models', '/blog/pipeline-velocity', '/blog/b2b-funnel-metrics', '/'] },
  PAID_SEARCH: { data1: ['google', 'bing'], data2: ['brand-search', 'competitor-terms', 'attribution-generic'], referrers: ['https://www.google.com/'], pages: ['/pricing', '/demo', '/lp/attribution'] },
  EMAIL_MARKETING: { data1: ['Monthly newsletter', 'Product launch', 'Webinar invite', 'Nurture sequence'], data2: ['email-1', 'email-2', 'email-3'], pages: ['/blog/attribution-models', '/webinars', '/pricing'] },
  SOCIAL_MEDIA: { data1: ['LinkedIn', 'Twitter', 'Facebook', 'YouTube'], data2: ['Unknown keywords (SSL)', 'post'], referrers: ['https://www.linkedin.com/', 'https://t.co/', 'https://www.youtube.com/'], pages: ['/blog/b2b-funnel-metrics', '/'] },
  PAID_SOCIAL: { data1: ['LinkedIn', 'Facebook'], data2: ['abm-campaign-q1', 'retargeting', 'ebook-promo'], referrers: ['https://www.linkedin.com/'], pages: ['/lp/ebook', '/demo'] },
  REFERRALS: { data1: ['g2.com', 'capterra.com', 'partner-agency.example', 'hubspot.com'], data2: ['/products/kpi-bridge', '/reviews', '/partners'], referrers: ['https://www.g2.com/', 'https://www.capterra.com/', 'https://partner-agency.example/'], pages: ['/', '/pricing', '/integrations/hubspot'] },
  DIRECT_TRAFFIC: { data1: ['/', '/pricing', '/login'], data2: [''], pages: ['/', '/pricing'] },
  OTHER_CAMPAIGNS: { data1: ['podcast-sponsorship', 'partner-webinar', 'utm-unknown'], data2: ['episode-42', 'spring'], pages: ['/lp/podcast', '/webinars'] },
  OFFLINE: { data1: ['IMPORT', 'CRM_UI', 'INTEGRATION'], data2: ['trade-show-2025.csv', 'sales-rep', 'zoominfo'], pages: [] },
  AI_REFERRALS: { data1: ['chatgpt.com', 'perplexity.ai', 'gemini.google.com'], data2: [''], referrers: ['https://chatgpt.com/', 'https://www.perplexity.ai/'], pages: ['/', '/blog/attribution-models'] },
};
