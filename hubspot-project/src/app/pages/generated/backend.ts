// Generated from app-manifest.json by `kpi-bridge hubspot-project`: do not edit.
/** The KPI Bridge backend that hubspot.fetch calls (listed in the app's permittedUrls.fetch). */
export const BACKEND_BASE_URL = "https://kpi-bridge.example.com";

/** A backend URL; HubSpot appends portalId, userId, userEmail and appId and signs the request. */
export function backendUrl(path: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `${BACKEND_BASE_URL}${path}${query ? `?${query}` : ''}`;
}
