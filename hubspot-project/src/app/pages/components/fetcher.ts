import { createContext, useContext } from 'react';
import type { Fetcher } from '../generated/client';

/**
 * The fetcher of the pages: hubspot.fetch in HubSpot, a fake in tests. Routed page components
 * take no props (createPageRouter), so it reaches them through context.
 */
export const FetcherContext = createContext<Fetcher | null>(null);

export function useFetcher(): Fetcher {
  const fetcher = useContext(FetcherContext);
  if (!fetcher) throw new Error('ReportPages must wrap the report pages (it provides the fetcher)');
  return fetcher;
}
