/**
 * Trust for a GitHub Enterprise Server behind a private certificate authority.
 *
 * `NODE_EXTRA_CA_CERTS` is read once, when the Node process starts, so a Lambda cannot set
 * it from a parameter it reads later. Instead the reaper gives Octokit a fetch of its own:
 * undici's fetch with an Agent whose TLS connections trust the public roots Node ships
 * plus the PEM bundle from an SSM parameter (`PARAMETER_GITHUB_CA_BUNDLE_NAME`). undici's
 * fetch and Agent come from the same package (pinned), so the dispatcher interface always
 * matches the fetch that uses it; Node's own global fetch is left alone.
 *
 * The bundle is read on first use and again after `maxAgeSeconds` (a rotated CA is picked
 * up without a cold start). A bundle that cannot be read or holds no certificate fails the
 * request, i.e. keep; messages name the parameter, never its content.
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { Agent, fetch as UndiciFetch } from 'undici';

// Loaded on first use: a deployment without a private CA never evaluates undici at cold start.
const loadUndici = () => import('undici');

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, each checked to parse. Throws naming `source`. */
export function parsePemBundle(text: string, source: string): string[] {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new Error(`${source} holds no PEM certificate (expected one or more "-----BEGIN CERTIFICATE-----" blocks)`);
  }
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch {
      throw new Error(`${source}: certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate`);
    }
  });
  return blocks;
}

export interface TrustedFetchOptions {
  /** Reads the bundle's text (e.g. the SSM parameter). */
  readBundle: () => Promise<string>;
  /** Names the bundle in messages, e.g. `SSM parameter /gh-ci/github/ca`. */
  source: string;
  maxAgeSeconds?: number;
  now?: () => number;
}

/** A fetch whose TLS connections trust the public roots and the bundle. */
export function fetchTrusting(options: TrustedFetchOptions): typeof fetch {
  const maxAgeMs = (options.maxAgeSeconds ?? 300) * 1000;
  const now = options.now ?? Date.now;
  let current: { text: string; agent: Agent; fetch: typeof UndiciFetch } | undefined;
  let pending: { promise: Promise<NonNullable<typeof current>>; startedAt: number } | undefined;

  async function load(): Promise<NonNullable<typeof current>> {
    const text = await options.readBundle();
    if (current && current.text === text) return current;
    const certificates = parsePemBundle(text, options.source);
    const undici = await loadUndici();
    const agent = new undici.Agent({ connect: { ca: [...rootCertificates, ...certificates] } });
    const previous = current;
    current = { text, agent, fetch: undici.fetch };
    // Connections of the old agent finish on their own; it takes no new ones.
    void previous?.agent.close().catch(() => {});
    return current;
  }

  function trust(): Promise<NonNullable<typeof current>> {
    if (!pending || now() - pending.startedAt >= maxAgeMs) {
      const promise = load();
      const started = { promise, startedAt: now() };
      pending = started;
      promise.catch(() => {
        if (pending === started) pending = undefined;
      });
    }
    return pending.promise;
  }

  const trusted = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const { agent, fetch } = await trust();
    return fetch(input as Parameters<typeof UndiciFetch>[0], {
      ...(init as Parameters<typeof UndiciFetch>[1]),
      dispatcher: agent,
    });
  };
  return trusted as unknown as typeof fetch;
}
