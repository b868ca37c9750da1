import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Database } from '../db';
import { requireHubSpotSignature } from '../platform/http/hubspot-signature.middleware';
import type { SignatureVerifier } from '../platform/http/hubspot-signature.middleware';
import type { Producer } from '../platform/queue/producer';
import { createCardsService } from './cards.service';
import type { CardsService, PreparedQuery } from './cards.service';
import { createSettingsService } from './settings.service';
import type { SettingsService } from './settings.service';

/** What the cards' router mounts: the two services and the signature gate in front of them. */
export type CardsFeature = { cards: CardsService; settings: SettingsService; signed: RequestHandler };

/** The cards' and the settings page's services, built once by the composition root. */
export function createCardsFeature(deps: {
  db: Database;
  /** Named prepared statements for the per-request card queries (see CardsServiceDeps). */
  prepared?: PreparedQuery;
  producer: Pick<Producer, 'enqueue'>;
  /** The HubSpot adapter's v3 verifier, the app's client secret and the public URL HubSpot calls. */
  signature: { verify: SignatureVerifier; clientSecret: string; publicBaseUrl: string };
  logger: Logger;
}): CardsFeature {
  const cards = createCardsService({ db: deps.db, prepared: deps.prepared });
  const settings = createSettingsService({
    db: deps.db,
    // The job registry debounces kpi.compute: a burst of saves causes one run.
    requestRecompute: async (portalId) => {
      await deps.producer.enqueue('kpi.compute', { portalId });
    },
    // Cards show the new default model at once, not after the state cache expires.
    onChange: (portalId) => cards.invalidate(portalId),
  });
  const signed = requireHubSpotSignature({ ...deps.signature, tenant: 'query', logger: deps.logger });
  return { cards, settings, signed };
}
