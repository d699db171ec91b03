/**
 * The plan's configuration is the functions' configuration: the same environment
 * variables, validated by the same `loadConfig` with the same messages. They come from the
 * shell's environment, or from a deployed function (`--function NAME`: Lambda
 * GetFunctionConfiguration, a read), and any of them can be given as a flag on top.
 */
import { parseArgs } from 'node:util';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ConfigError, loadConfig } from '../config/load';
import { envSchema, type Config } from '../config/schema';
import { awsFailure } from './aws-errors';
import { CliFailure, EXIT } from './exit-codes';

/** Every variable `loadConfig` reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** `IDLE_CONFIRMATION_SECONDS` -> `idle-confirmation-seconds`. */
export function flagOf(variable: string): string {
  return variable.toLowerCase().replace(/_/g, '-');
}

export interface PlanArgs {
  /** Read the configuration from this deployed function (name or ARN). */
  functionName?: string;
  region?: string;
  profile?: string;
  json: boolean;
  help: boolean;
  /** Variables given as flags, by variable name. */
  overrides: Record<string, string>;
}

const OWN_FLAGS = {
  function: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parsePlanArgs(argv: readonly string[]): PlanArgs {
  const configFlags = Object.fromEntries(CONFIG_VARIABLES.map((v) => [flagOf(v), { type: 'string' as const }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...configFlags, ...OWN_FLAGS },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliFailure(EXIT.badConfiguration, `${message}\nSee \`runner-reaper plan --help\`.`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const text = (key: string): string | undefined => {
    const value = values[key];
    return typeof value === 'string' ? value : undefined;
  };
  const overrides: Record<string, string> = {};
  for (const variable of CONFIG_VARIABLES) {
    const value = text(flagOf(variable));
    if (value !== undefined) overrides[variable] = value;
  }
  const functionName = text('function');
  if (functionName !== undefined && functionName.trim() === '') {
    throw new CliFailure(EXIT.badConfiguration, '--function needs the name or ARN of a deployed runner-reaper function.');
  }
  const region = text('region');
  const profile = text('profile');
  return {
    ...(functionName !== undefined ? { functionName: functionName.trim() } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(profile !== undefined ? { profile } : {}),
    json: values.json === true,
    help: values.help === true,
    overrides,
  };
}

/** Only the reaper's own variables: AWS_*, POWERTOOLS_* and the like never steer the plan. */
export function configVariablesOf(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const variable of CONFIG_VARIABLES) {
    const value = env[variable];
    if (value !== undefined) picked[variable] = value;
  }
  return picked;
}

/** The deployed function's environment variables (its configuration). */
export async function readFunctionEnvironment(lambda: LambdaClient, functionName: string): Promise<Record<string, string>> {
  let answer;
  try {
    answer = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      throw new CliFailure(EXIT.badConfiguration, `No Lambda function ${functionName} in this account and region (--function).`);
    }
    throw awsFailure(error, `read the configuration of function ${functionName} (lambda:GetFunctionConfiguration)`);
  }
  const environment = answer.Environment;
  if (environment?.Error) {
    throw new CliFailure(
      EXIT.unreadable,
      `Lambda cannot show the environment of ${functionName}: ${environment.Error.ErrorCode ?? 'error'} ${environment.Error.Message ?? ''}`.trim(),
    );
  }
  return { ...(environment?.Variables ?? {}) };
}

export interface ResolvedConfig {
  config: Config;
  /** Where the variables came from, for the report's first line. */
  source: string;
}

/**
 * Merges the sources (a function's environment, else the shell's; then the flags) and
 * validates them exactly as the functions do at cold start.
 */
export function resolveConfig(base: Readonly<Record<string, string | undefined>>, overrides: Readonly<Record<string, string>>, source: string): ResolvedConfig {
  const env = { ...configVariablesOf(base), ...overrides };
  try {
    return { config: loadConfig(env), source };
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliFailure(EXIT.badConfiguration, `${error.message}\n(configuration from ${source}; any variable can also be given as a flag, e.g. --${flagOf('ENVIRONMENT')})`);
    }
    throw error;
  }
}
