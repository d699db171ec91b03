/** The endpoints the twin serves, spelled as in GitHub's OpenAPI description. */
export const ROUTES = {
  orgInstallation: '/orgs/{org}/installation',
  repoInstallation: '/repos/{owner}/{repo}/installation',
  installationToken: '/app/installations/{installation_id}/access_tokens',
  orgRunners: '/orgs/{org}/actions/runners',
  orgRunner: '/orgs/{org}/actions/runners/{runner_id}',
  repoRunners: '/repos/{owner}/{repo}/actions/runners',
  repoRunner: '/repos/{owner}/{repo}/actions/runners/{runner_id}',
  orgRegistrationToken: '/orgs/{org}/actions/runners/registration-token',
  repoRegistrationToken: '/repos/{owner}/{repo}/actions/runners/registration-token',
  orgJitConfig: '/orgs/{org}/actions/runners/generate-jitconfig',
  repoJitConfig: '/repos/{owner}/{repo}/actions/runners/generate-jitconfig',
} as const;

export type RouteTemplate = (typeof ROUTES)[keyof typeof ROUTES];

/** Method + template of every served route (registration routes before `{runner_id}`). */
export const SERVED_ROUTES: { method: string; template: RouteTemplate }[] = [
  { method: 'GET', template: ROUTES.orgInstallation },
  { method: 'GET', template: ROUTES.repoInstallation },
  { method: 'POST', template: ROUTES.installationToken },
  { method: 'GET', template: ROUTES.orgRunners },
  { method: 'POST', template: ROUTES.orgRegistrationToken },
  { method: 'POST', template: ROUTES.orgJitConfig },
  { method: 'GET', template: ROUTES.orgRunner },
  { method: 'DELETE', template: ROUTES.orgRunner },
  { method: 'GET', template: ROUTES.repoRunners },
  { method: 'POST', template: ROUTES.repoRegistrationToken },
  { method: 'POST', template: ROUTES.repoJitConfig },
  { method: 'GET', template: ROUTES.repoRunner },
  { method: 'DELETE', template: ROUTES.repoRunner },
];

/** Registration endpoints draw on their own primary bucket (10,000/h on github.com). */
export function resourceOf(template: string): string {
  return template.endsWith('registration-token') || template.endsWith('generate-jitconfig')
    ? 'actions_runner_registration'
    : 'core';
}
