import { Router } from 'express';
import type { Logger } from 'pino';
import { signatureUri, verifySignatureV3 } from '../hubspot/signature';
import { AppError, BadRequestError, UnauthorizedError } from '../platform/http/errors';
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

  router.post(WEBHOOK_PATH, async (req, res) => {
    const check = verifySignatureV3({
      clientSecret: deps.clientSecret,
      method: req.method,
      uri: signatureUri(deps.publicBaseUrl, req.originalUrl),
      rawBody: req.rawBody,
      signature: req.headers['x-hubspot-signature-v3'],
      timestamp: req.headers['x-hubspot-request-timestamp'],
      now: now(),
    });
    if (!check.ok) {
      log.warn({ reason: check.reason }, 'webhook rejected: signature');
      throw new UnauthorizedError(`webhook signature rejected: ${check.reason}`);
    }
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
