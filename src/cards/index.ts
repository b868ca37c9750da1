/**
 * Cards and settings: the signed read API behind the React extensions in hubspot-project/
 * (deal and contact cards, the settings page), answered from the KPI tables only.
 */
import path from 'node:path';

export { createCardsFeature } from './cards.feature';
export type { CardsFeature } from './cards.feature';
export { createCardsRouter } from './cards.routes';
export type { CardsRouteDeps } from './cards.routes';
export { createCardsService } from './cards.service';
export type { CardsService, CardsServiceDeps, PreparedQuery } from './cards.service';
export { createSettingsService } from './settings.service';
export type { SettingsService, SettingsServiceDeps } from './settings.service';
export * from './card.schemas';

/** The contract file the project generator copies into the extensions (relative to the repo root). */
export const CARD_SCHEMAS_SOURCE = path.join('src', 'cards', 'card.schemas.ts');
