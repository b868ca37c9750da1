import { Writable } from 'node:stream';
import { createLogger, sanitizeUrlForLog } from '../../src/logger';

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: 'info', format: 'json', destination });
  return { logger, output: () => lines.join('') };
}

describe('logger redaction', () => {
  const token = 'CJT-secret-access-token-value';

  it.each([
    ['top level', { access_token: token }],
    ['nested one level', { tokens: { refresh_token: token } }],
    ['nested two levels', { result: { body: { accessToken: token } } }],
    ['authorization header', { req: { headers: { authorization: `Bearer ${token}` } } }],
    ['cookie header', { headers: { cookie: `state=${token}` } }],
    ['hyphenated header', { headers: { 'x-hubspot-signature-v3': token } }],
    ['client secret', { hubspot: { clientSecret: token } }],
  ])('never writes a token (%s)', (_name, obj) => {
    const { logger, output } = captureLogger();
    logger.info(obj, 'something happened');
    expect(output()).toContain('something happened');
    expect(output()).not.toContain(token);
    expect(output()).toContain('[redacted]');
  });

  it('keeps error codes, which are not secrets', () => {
    const { logger, output } = captureLogger();
    const err = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' });
    logger.error({ err }, 'db down');
    expect(output()).toContain('ECONNREFUSED');
  });

  it('redacts secret query parameters from URLs', () => {
    expect(sanitizeUrlForLog('/oauth/callback?code=abc123&state=xyz&portal=5')).toBe(
      '/oauth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&portal=5',
    );
    expect(sanitizeUrlForLog('/healthz')).toBe('/healthz');
  });
});
