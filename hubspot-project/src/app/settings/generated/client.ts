// Generated from app-manifest.json by `kpi-bridge hubspot-project`: do not edit. Source: hubspot-project/shared/backend-client.ts.
import { useEffect, useState } from 'react';
import type { z } from 'zod';

/**
 * Calling the KPI Bridge backend from an extension. The fetcher is hubspot.fetch in HubSpot (it
 * signs the request and appends portalId) and a fake in tests; the answer is parsed with the
 * shared contract (generated/api.ts, generated/reports.ts), so a backend that drifted shows an
 * error, not a broken card.
 *
 * HubSpot builds each extension folder on its own, so `kpi-bridge hubspot-project` copies this
 * file into every folder as generated/client.ts: edit it here (outside srcDir, never uploaded).
 */
export type FetchResponse = { ok: boolean; status: number; json(): Promise<unknown> };
export type Fetcher = (
  url: string,
  options?: { method?: 'GET' | 'POST' | 'PUT'; timeout?: number; body?: Record<string, unknown> },
) => Promise<FetchResponse>;

export type LoadState<T> =
  | { status: 'loading' }
  | { status: 'not_found'; message: string }
  | { status: 'error'; message: string }
  | { status: 'ok'; data: T };

/** Under HubSpot's 15 s default: a slow backend shows the retry button sooner. */
export const FETCH_TIMEOUT_MS = 10_000;

export async function callBackend<T>(
  fetcher: Fetcher,
  url: string,
  schema: z.ZodType<T>,
  options: Parameters<Fetcher>[1] = { method: 'GET' },
): Promise<Exclude<LoadState<T>, { status: 'loading' }>> {
  try {
    const res = await fetcher(url, { timeout: FETCH_TIMEOUT_MS, ...options });
    const body = await res.json().catch(() => null);
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
    if (res.status === 404)
      return { status: 'not_found', message: typeof message === 'string' ? message : 'not found' };
    if (!res.ok)
      return {
        status: 'error',
        message: typeof message === 'string' ? message : `the backend answered ${res.status}`,
      };
    const parsed = schema.safeParse(body);
    if (!parsed.success) return { status: 'error', message: 'the backend sent an answer this card does not understand' };
    return { status: 'ok', data: parsed.data };
  } catch (err) {
    return { status: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

/** Loads `url` once per (url, retry) and exposes retry for the error state. */
export function useBackend<T>(
  fetcher: Fetcher,
  url: string,
  schema: z.ZodType<T>,
): { state: LoadState<T>; retry: () => void } {
  const [state, setState] = useState<LoadState<T>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    setState({ status: 'loading' });
    void callBackend(fetcher, url, schema).then((next) => {
      if (current) setState(next);
    });
    return () => {
      current = false;
    };
  }, [fetcher, url, schema, attempt]);
  return { state, retry: () => setAttempt((a) => a + 1) };
}
