import type { Logger } from 'pino';
import type { HubSpotClientFactory } from '../hubspot/client';
import type { Database } from '../db';
import type { MapWarning } from './mappers';

/** What the sync needs from the composition root (a slice of AppContext plus the adapter). */
export type SyncDeps = {
  db: Database;
  hubspot: HubSpotClientFactory;
  logger: Logger;
};

export type SyncProgress = { stream: string; records: number; pages: number; done: boolean };

export type SyncRunOptions = {
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
};

/** One log line per bad value, never a crash: the value is cut short and never a token. */
export function warningLogger(logger: Logger, portalId: number): (w: MapWarning) => void {
  return (w) =>
    logger.warn(
      {
        portalId,
        objectType: w.objectType,
        objectId: w.id,
        property: w.property,
        value: w.value,
        reason: w.reason,
      },
      'property value did not parse; stored as null',
    );
}
