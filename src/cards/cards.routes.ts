import { Router } from 'express';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { BadRequestError } from '../platform/http/errors';
import { signedPortalId } from '../platform/http/hubspot-signature.middleware';
import { CARD_PATHS, settingsUpdateSchema } from './card.schemas';
import type { CardsService } from './cards.service';
import type { SettingsService } from './settings.service';

/**
 * The read API behind the cards and the settings page, called by hubspot.fetch. Every route is
 * behind the HubSpot signature (`signed`, which also fixes the tenant from the signed portalId);
 * HubSpot's other query parameters (userId, userEmail, appId) are accepted and ignored.
 */
export type CardsRouteDeps = { cards: CardsService; settings: SettingsService; signed: RequestHandler };

const RECORD_ID = /^[1-9]\d{0,17}$/;

const idParams = {
  dealId: z.object({ dealId: z.string().regex(RECORD_ID, 'dealId must be a HubSpot record id (digits)') }),
  contactId: z.object({
    contactId: z.string().regex(RECORD_ID, 'contactId must be a HubSpot record id (digits)'),
  }),
};

/** The named record id from the query, or a 400 that names it. */
function recordIdParam(query: unknown, name: keyof typeof idParams): string {
  const parsed = idParams[name].safeParse(query);
  if (!parsed.success)
    throw new BadRequestError(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { field: name });
  return (parsed.data as Record<string, string>)[name]!;
}

function describeIssues(error: z.ZodError): { message: string; fields: string[] } {
  const fields = error.issues.map((i) => i.path.join('.') || '(body)');
  const first = error.issues[0];
  return { message: `${fields[0]}: ${first?.message ?? 'invalid'}`, fields };
}

export function createCardsRouter(deps: CardsRouteDeps): Router {
  const router = Router();
  router.get(CARD_PATHS.deal, deps.signed, async (req, res) => {
    const dealId = recordIdParam(req.query, 'dealId');
    res.json(await deps.cards.dealCard(signedPortalId(req), dealId));
  });
  router.get(CARD_PATHS.contact, deps.signed, async (req, res) => {
    const contactId = recordIdParam(req.query, 'contactId');
    res.json(await deps.cards.contactCard(signedPortalId(req), contactId));
  });
  router.get(CARD_PATHS.settings, deps.signed, async (req, res) => {
    res.json(await deps.settings.get(signedPortalId(req)));
  });
  router.put(CARD_PATHS.settings, deps.signed, async (req, res) => {
    const parsed = settingsUpdateSchema.safeParse(req.body);
    if (!parsed.success) {
      const { message, fields } = describeIssues(parsed.error);
      throw new BadRequestError(message, { fields });
    }
    res.json(await deps.settings.update(signedPortalId(req), parsed.data));
  });
  return router;
}
