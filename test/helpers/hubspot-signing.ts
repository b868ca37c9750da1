import { Signature } from '@hubspot/api-client';

/**
 * Signs a request the way HubSpot does (v3), with the official SDK's own implementation rather
 * than ours, so that tests check our verifier against an independent one. The SDK signs the URI
 * as given: keep test URIs free of the %xx escapes HubSpot decodes.
 */
export function hubspotSignedHeaders(input: {
  clientSecret: string;
  method: string;
  url: string;
  body?: string;
  timestamp?: number;
}): Record<string, string> {
  const timestamp = input.timestamp ?? Date.now();
  const signature = Signature.getSignature(input.method, 'v3', {
    signature: '',
    signatureVersion: 'v3',
    clientSecret: input.clientSecret,
    url: input.url,
    requestBody: input.body ?? '',
    timestamp,
  });
  return { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) };
}
