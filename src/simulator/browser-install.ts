/**
 * Installs the app into a simulated portal the way an admin's browser would: open our
 * /oauth/install, follow the redirect to the (simulated) consent page, which approves
 * at once, follow its redirect back to our callback with the state cookie, and read
 * the outcome from the final page. For the demo and the tests; nothing here talks to
 * the database.
 */
export type SimulatorInstall = {
  portalId: number;
  scopes: string[];
  propertiesCreated: number;
  reinstall: boolean;
};

export class BrowserInstallError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'BrowserInstallError';
  }
}

export type BrowserSteps = {
  /** The consent URL our /oauth/install redirected to. */
  authorizeUrl: string;
  /** Our callback URL the consent page redirected to (holds code and state). */
  callbackUrl: string;
  cookie: string;
};

function dataAttr(html: string, name: string): string | undefined {
  const m = new RegExp(`data-${name}="([^"]*)"`).exec(html);
  return m?.[1];
}

/** The first two legs (ours, then HubSpot's consent), stopping before the callback: tests tamper here. */
export async function startBrowserInstall(
  apiUrl: string,
  options: { portalId?: number; rewriteAuthorizeUrl?: (url: URL) => void } = {},
): Promise<BrowserSteps> {
  const start = await fetch(
    `${apiUrl}/oauth/install${options.portalId ? `?portalId=${options.portalId}` : ''}`,
    { redirect: 'manual' },
  );
  const authorizeUrl = start.headers.get('location');
  const setCookie = start.headers.get('set-cookie');
  if (start.status !== 302 || !authorizeUrl || !setCookie)
    throw new BrowserInstallError(
      start.status,
      undefined,
      `/oauth/install did not redirect with a cookie (HTTP ${start.status})`,
    );
  const cookie = setCookie.split(';')[0] ?? '';
  const authorize = new URL(authorizeUrl);
  options.rewriteAuthorizeUrl?.(authorize);
  const consent = await fetch(authorize, { redirect: 'manual' });
  const callbackUrl = consent.headers.get('location');
  if (consent.status !== 302 || !callbackUrl)
    throw new BrowserInstallError(consent.status, undefined, `the consent page answered ${consent.status}`);
  return { authorizeUrl: authorize.toString(), callbackUrl, cookie };
}

export async function finishBrowserInstall(
  steps: Pick<BrowserSteps, 'callbackUrl' | 'cookie'>,
): Promise<{ status: number; html: string }> {
  const response = await fetch(steps.callbackUrl, {
    headers: steps.cookie ? { cookie: steps.cookie } : {},
    redirect: 'manual',
  });
  return { status: response.status, html: await response.text() };
}

export async function installIntoSimulator(options: {
  apiUrl: string;
  portalId?: number;
}): Promise<SimulatorInstall> {
  const steps = await startBrowserInstall(
    options.apiUrl,
    options.portalId ? { portalId: options.portalId } : {},
  );
  const { status, html } = await finishBrowserInstall(steps);
  if (status !== 200)
    throw new BrowserInstallError(
      status,
      dataAttr(html, 'reason'),
      `install failed with HTTP ${status} (${dataAttr(html, 'reason') ?? 'no reason'})`,
    );
  return {
    portalId: Number(dataAttr(html, 'portal-id')),
    scopes: (dataAttr(html, 'scopes') ?? '').split(' ').filter((s) => s !== ''),
    propertiesCreated: Number(dataAttr(html, 'properties-created')),
    reinstall: dataAttr(html, 'reinstall') === 'true',
  };
}
