/**
 * Evaluates an identity policy for one request with @cloud-copilot/iam-simulate, in
 * strict mode: the request context holds exactly the keys given, nothing is assumed.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface SimRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

export async function decide(
  policy: unknown,
  request: SimRequest,
  principal = 'arn:aws:sts::123456789012:assumed-role/runner-reaper/session',
  accountId = '123456789012',
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId },
        contextVariables: request.context ?? {},
      },
      identityPolicies: [{ name: 'under-test', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') {
    throw new Error(`iam-simulate rejected the request ${JSON.stringify(request)}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}
