/** What other features may use of the install: the error a portal that is gone raises. */
export { PortalNotInstalledError } from './token-service';
