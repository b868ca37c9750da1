import { Router } from 'express';
import type { Logger } from 'pino';
import { verifySignatureV3 } from '../hubspot/signature';
import { AppError, BadRequestError } from '../platform/http/errors';
import { requireHubSpotSignature } from '../platform/http/hubspot-signature.middleware';
import { MAX_BATCH_EVENTS, type WebhookIntake } from './webhook-intake';

/**
 * POST /webhooks/hubspot: v3 signature over the raw body and the public URL HubSpot
 * called (PUBLIC_BASE_URL + path), timestamp at most 5 minutes old; then the batch goes
 * to the intake, which only touches Redis and Postgres' portal list, and we answer 204.
 * Bad signatures are 401 (HubSpot retries, which is right if the secret was rotating);
 * malformed batches 400; events we ignore still get a 2xx, so HubSpot stops retrying them.
 */
export const WEBHOOK_PATH = '/webhooks/hubspot';

export type WebhookRouteDeps = {
  intake: WebhookIntake;
  clientSecret: string;
  publicBaseUrl: string;
  logger: Logger;
  now?: () => number;
};

class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

export function createWebhookRouter(deps: WebhookRouteDeps): Router {
  const router = Router();
  const log = deps.logger.child({ name: 'webhooks' });
  const now = deps.now ?? Date.now;

  const signed = requireHubSpotSignature({
    verify: verifySignatureV3,
    clientSecret: deps.clientSecret,
    publicBaseUrl: deps.publicBaseUrl,
    // Webhook batches name their portals per event; there is no portalId in the URL.
    tenant: 'none',
    logger: deps.logger,
    now,
  });

  router.post(WEBHOOK_PATH, signed, async (req, res) => {
    const body: unknown = req.body;
    if (!Array.isArray(body)) throw new BadRequestError('a webhook batch is a JSON array of events');
    if (body.length > MAX_BATCH_EVENTS)
      throw new PayloadTooLargeError(`a webhook batch holds at most ${MAX_BATCH_EVENTS} events`);
    const result = await deps.intake.accept(body);
    log.debug(result, 'webhook batch accepted');
    res.status(204).end();
  });

  return router;
}
