/**
 * The production image ships the app without the HubSpot simulator and the demo built on it
 * (Dockerfile, target `runtime`). Commands that need them load them on use, so every other
 * command runs there, and this one says what is missing instead of a stack trace.
 */
export class MissingModuleError extends Error {
  constructor(what: string) {
    super(
      `${what} is not part of this installation (the production image leaves it out); use the demo image: docker compose --profile demo up demo`,
    );
    this.name = 'MissingModuleError';
  }
}

export function loadOptional<T>(what: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND') throw new MissingModuleError(what);
    throw err;
  }
}
