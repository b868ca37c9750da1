import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../../src/simulator';

/** A small simulator for one test file; the seed keeps data stable across runs. */
export async function startSmallSimulator(options: Partial<SimulatorOptions> = {}): Promise<SimulatorHandle> {
  return startSimulator({
    seed: 'test-42',
    contacts: 200,
    deals: 40,
    anchor: '2026-11-01T00:00:00Z',
    searchConsistencyMs: 0,
    ...options,
  });
}

export type Answer<T = unknown> = { status: number; headers: Headers; body: T };

/** A fetch with a bearer token that parses JSON answers; empty bodies come back as null. */
export function createApi(baseUrl: string, accessToken: string | null) {
  return async function call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    init: RequestInit = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...init,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text === '' ? null : JSON.parse(text)) as T,
    };
  };
}

export type Page = {
  results: {
    id: string;
    properties: Record<string, string | null>;
    propertiesWithHistory?: Record<string, { value: string; timestamp: string; sourceType: string }[]>;
    createdAt: string;
    updatedAt: string;
    archived: boolean;
  }[];
  paging?: { next: { after: string; link?: string } };
  total?: number;
};

export type ErrorAnswer = {
  status: string;
  message: string;
  category: string;
  correlationId: string;
  subCategory?: string;
};
