import type { Database } from '../platform/db/database';
import { createCardsService } from './cards.service';
import type { CardsService } from './cards.service';
import { createSettingsService } from './settings.service';
import type { SettingsService } from './settings.service';

export type CardsFeature = { cards: CardsService; settings: SettingsService };

/** The cards' and the settings page's services, built once by the composition root. */
export function createCardsFeature(deps: {
  db: Database;
  requestRecompute: (portalId: number) => Promise<void>;
}): CardsFeature {
  const cards = createCardsService({ db: deps.db });
  const settings = createSettingsService({
    db: deps.db,
    requestRecompute: deps.requestRecompute,
    // Cards show the new default model at once, not after the state cache expires.
    onChange: (portalId) => cards.invalidate(portalId),
  });
  return { cards, settings };
}
