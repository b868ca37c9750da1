/**
 * Every request the simulator answered, bounded (oldest dropped first), so tests
 * can count calls and a contract check can replay them. Secrets in OAuth form
 * bodies are redacted before they are kept.
 */
export type RequestLogEntry = {
  seq: number;
  time: number;
  portalId: number | null;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The raw request body, cut at the configured size. */
  body: string | null;
  bodyTruncated: boolean;
  status: number;
  durationMs: number;
};

export type RequestLogFilter = {
  portalId?: number;
  method?: string;
  /** Matches paths starting with this prefix. */
  pathPrefix?: string;
  status?: number;
  since?: number;
};

const SECRET_FORM_FIELDS = ['client_secret', 'refresh_token', 'code', 'token', 'code_verifier'];

export function redactFormBody(body: string): string {
  const params = new URLSearchParams(body);
  let redacted = false;
  for (const field of SECRET_FORM_FIELDS) {
    if (params.has(field)) {
      params.set(field, '[redacted]');
      redacted = true;
    }
  }
  return redacted ? params.toString() : body;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(
    readonly capacity: number,
    readonly bodyLimit: number,
  ) {}

  add(entry: Omit<RequestLogEntry, 'seq' | 'body' | 'bodyTruncated'> & { body: string | null }): void {
    if (this.capacity <= 0) return;
    const body = entry.body;
    const truncated = body !== null && body.length > this.bodyLimit;
    this.entries.push({
      ...entry,
      seq: ++this.seq,
      body: truncated ? body.slice(0, this.bodyLimit) : body,
      bodyTruncated: truncated,
    });
    if (this.entries.length > this.capacity * 1.25)
      this.entries = this.entries.slice(this.entries.length - this.capacity);
  }

  list(filter: RequestLogFilter = {}): RequestLogEntry[] {
    const start = Math.max(0, this.entries.length - this.capacity);
    const out: RequestLogEntry[] = [];
    for (let i = start; i < this.entries.length; i++) {
      const e = this.entries[i] as RequestLogEntry;
      if (filter.portalId !== undefined && e.portalId !== filter.portalId) continue;
      if (filter.method !== undefined && e.method !== filter.method.toUpperCase()) continue;
      if (filter.pathPrefix !== undefined && !e.path.startsWith(filter.pathPrefix)) continue;
      if (filter.status !== undefined && e.status !== filter.status) continue;
      if (filter.since !== undefined && e.time < filter.since) continue;
      out.push(e);
    }
    return out;
  }

  count(filter: RequestLogFilter = {}): number {
    return this.list(filter).length;
  }

  clear(): void {
    this.entries = [];
  }
}
