/**
 * SSM Command documents as the twin runs them: read from moto (where Terraform or the
 * world created them) with the real SDK, or from a local fallback; parameters checked and
 * substituted (`{{ name }}`) the way SSM does; the one `aws:runShellScript` step's
 * commands joined into the script the agent would write and run with `sh`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetDocumentCommand, type SSMClient } from '@aws-sdk/client-ssm';

export interface DocumentParameter {
  type: string;
  default?: unknown;
  allowedPattern?: string;
  allowedValues?: string[];
}

export interface CommandDocument {
  schemaVersion: string;
  parameters?: Record<string, DocumentParameter>;
  mainSteps?: { action: string; name: string; inputs?: { runCommand?: string[]; timeoutSeconds?: string | number } }[];
}

/** What a SendCommand will run on each instance. */
export interface RunnableDocument {
  name: string;
  version: string;
  /** The step's name: the invocation's plugin name. */
  pluginName: string;
  script: string;
  /** The step's execution timeout (the plugin's default is 3600 s). */
  executionTimeoutSeconds: number;
}

/** An SSM API error the twin answers with (`__type`, HTTP status, message). */
export class SsmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const PROBE_SCRIPT_PATH = join(__dirname, '..', '..', 'modules', 'probe', 'scripts', 'probe.sh');

/**
 * The probe document as the module creates it (modules/probe/scripts/README.md): a
 * `runnerRoot` parameter assigned before the script, the script itself unchanged.
 */
export function probeDocumentContent(script: string = readFileSync(PROBE_SCRIPT_PATH, 'utf8')): CommandDocument {
  return {
    schemaVersion: '2.2',
    parameters: {
      runnerRoot: {
        type: 'String',
        default: '/opt/actions-runner',
        allowedPattern: '^/[A-Za-z0-9._/-]{0,254}$',
      },
    },
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'probe',
        inputs: { timeoutSeconds: '60', runCommand: ["RUNNER_REAPER_RUNNER_ROOT='{{ runnerRoot }}'", script] },
      },
    ],
  };
}

/** Reads a document from moto (JSON format, as moto converts YAML); undefined when moto has none. */
export async function documentFromMoto(ssm: SSMClient, name: string, version?: string): Promise<{ content: CommandDocument; version: string } | undefined> {
  try {
    const out = await ssm.send(new GetDocumentCommand({ Name: name, DocumentFormat: 'JSON', ...(version && version !== '$DEFAULT' && version !== '$LATEST' ? { DocumentVersion: version } : {}) }));
    if (out.DocumentType && out.DocumentType !== 'Command') throw new SsmError('InvalidDocument', `document ${name} is a ${out.DocumentType} document, not a Command document`);
    return { content: JSON.parse(out.Content ?? '{}') as CommandDocument, version: out.DocumentVersion ?? '1' };
  } catch (error) {
    if (error instanceof SsmError) throw error;
    const type = (error as { name?: string }).name;
    if (type === 'InvalidDocument' || type === 'InvalidDocumentVersion') return undefined;
    throw new SsmError('InternalServerError', `the twin could not read document ${name} from moto: ${(error as Error).message}`, 500);
  }
}

/** Checks the parameters of a SendCommand against the document and builds what runs. */
export function runnable(name: string, version: string, doc: CommandDocument, given: Record<string, string[]> = {}): RunnableDocument {
  if (doc.schemaVersion !== '2.2') {
    throw new SsmError('InvalidDocument', `the SSM twin runs schemaVersion 2.2 Command documents; ${name} has ${doc.schemaVersion}`);
  }
  const steps = (doc.mainSteps ?? []).filter((s) => s.action === 'aws:runShellScript');
  if (steps.length !== 1 || (doc.mainSteps ?? []).length !== 1) {
    throw new SsmError('InvalidDocument', `the SSM twin runs documents with exactly one aws:runShellScript step; ${name} has ${(doc.mainSteps ?? []).length} step(s)`);
  }
  const declared = doc.parameters ?? {};
  for (const key of Object.keys(given)) {
    if (!(key in declared)) throw new SsmError('InvalidParameters', `Parameter "${key}" is not defined in document ${name}.`);
  }
  const values: Record<string, string> = {};
  for (const [key, param] of Object.entries(declared)) {
    const value = given[key];
    let text: string;
    if (value !== undefined) {
      if (param.type === 'String' && value.length !== 1) throw new SsmError('InvalidParameters', `Parameter "${key}" is a String: it takes exactly one value.`);
      text = value.join(',');
    } else if (param.default !== undefined) {
      text = Array.isArray(param.default) ? param.default.join(',') : String(param.default);
    } else {
      throw new SsmError('InvalidParameters', `Parameter "${key}" is required by document ${name}.`);
    }
    if (param.allowedPattern && !new RegExp(param.allowedPattern).test(text)) {
      throw new SsmError('InvalidParameters', `Parameter "${key}" "${text}" failed to satisfy constraint: Member must satisfy regular expression pattern: ${param.allowedPattern}`);
    }
    if (param.allowedValues && !param.allowedValues.includes(text)) {
      throw new SsmError('InvalidParameters', `Parameter "${key}" "${text}" is not one of the allowed values.`);
    }
    values[key] = text;
  }
  const step = steps[0]!;
  const commands = (step.inputs?.runCommand ?? []).map((line) =>
    line.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (whole, key: string) => (key in values ? values[key]! : whole)),
  );
  const timeout = Number(step.inputs?.timeoutSeconds ?? 3600);
  return {
    name,
    version,
    pluginName: step.name,
    script: commands.join('\n') + '\n',
    executionTimeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : 3600,
  };
}
