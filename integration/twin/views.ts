/** JSON bodies in GitHub's shapes (valid against @octokit/openapi's schemas). */
import type { JobDispatcher, TwinRunner } from './dispatcher';

const READ_ONLY_LABELS = new Set(['self-hosted', 'linux', 'windows', 'macos', 'x64', 'arm64', 'arm']);
const labelIds = new Map<string, number>();

function labelId(name: string): number {
  const key = name.toLowerCase();
  let id = labelIds.get(key);
  if (id === undefined) {
    id = labelIds.size + 1;
    labelIds.set(key, id);
  }
  return id;
}

export function runnerJson(d: JobDispatcher, r: TwinRunner) {
  return {
    id: r.id,
    runner_group_id: 1,
    name: r.name,
    os: r.os,
    status: d.status(r),
    busy: d.busyFlag(r),
    ephemeral: r.ephemeral,
    labels: r.labels.map((name) => ({
      id: labelId(name),
      name,
      type: READ_ONLY_LABELS.has(name.toLowerCase()) ? ('read-only' as const) : ('custom' as const),
    })),
  };
}

export interface Installation {
  id: number;
  /** The org or user the app is installed on. */
  account: string;
  targetType: 'Organization' | 'User';
  createdAt: string;
}

export function installationJson(appId: number, baseUrl: string, inst: Installation) {
  const login = inst.account;
  const accountId = 1000 + inst.id;
  const userUrl = `${baseUrl}/users/${login}`;
  return {
    id: inst.id,
    account: {
      login,
      id: accountId,
      node_id: `MDEyOk9yZ2FuaXphdGlvbj${accountId}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${accountId}?v=4`,
      gravatar_id: '',
      url: userUrl,
      html_url: `https://github.com/${login}`,
      followers_url: `${userUrl}/followers`,
      following_url: `${userUrl}/following{/other_user}`,
      gists_url: `${userUrl}/gists{/gist_id}`,
      starred_url: `${userUrl}/starred{/owner}{/repo}`,
      subscriptions_url: `${userUrl}/subscriptions`,
      organizations_url: `${userUrl}/orgs`,
      repos_url: `${userUrl}/repos`,
      events_url: `${userUrl}/events{/privacy}`,
      received_events_url: `${userUrl}/received_events`,
      type: inst.targetType,
      site_admin: false,
    },
    repository_selection: 'all' as const,
    access_tokens_url: `${baseUrl}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${baseUrl}/installation/repositories`,
    html_url: `https://github.com/organizations/${login}/settings/installations/${inst.id}`,
    app_id: appId,
    client_id: `Iv1.twin${appId}`,
    target_id: accountId,
    target_type: inst.targetType,
    permissions: { organization_self_hosted_runners: 'write' as const, administration: 'write' as const, actions: 'read' as const },
    events: [] as string[],
    created_at: inst.createdAt,
    updated_at: inst.createdAt,
    single_file_name: null,
    app_slug: 'runner-reaper-twin',
    suspended_by: null,
    suspended_at: null,
  };
}

export function errorJson(message: string, status: number) {
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
}
