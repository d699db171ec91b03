/** Shared set-up of the SSM twin tests: moto, local machines, the twin, a real SDK client. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDocumentCommand, GetCommandInvocationCommand, SSMClient, type GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { LocalMachine } from '../../machine/local-machine';
import type { MachineSpec } from '../../machine/runner-machine';
import { MOTO_CREDENTIALS, MOTO_REGION, MotoServer } from '../../moto';
import { probeDocumentContent, SsmTwin } from '../../ssm-twin';

export const PROBE_DOCUMENT = 'gh-ci-runner-reaper-probe';

export class TwinFixture {
  readonly moto = new MotoServer();
  readonly machines = new Map<string, LocalMachine>();
  twin!: SsmTwin;
  ssm!: SSMClient;
  private base = '';
  private n = 0;

  async start(): Promise<void> {
    this.base = mkdtempSync(join(tmpdir(), 'ssm-twin-'));
    await this.moto.start();
    this.twin = new SsmTwin({ motoUrl: this.moto.url, machines: { get: (id) => this.machines.get(id), all: () => this.machines.values() } });
    await this.twin.start();
    // The real SDK, one attempt per call: what the twin answers is what the test sees.
    this.ssm = new SSMClient({ endpoint: this.twin.url, region: MOTO_REGION, credentials: { ...MOTO_CREDENTIALS }, maxAttempts: 1 });
  }

  /** Clean state per test: machines ended, moto and twin reset, the probe document created in moto. */
  async reset(): Promise<void> {
    await Promise.all([...this.machines.values()].map((m) => m.destroy()));
    this.machines.clear();
    this.twin.reset();
    await this.moto.reset();
    await this.ssm.send(
      new CreateDocumentCommand({ Name: PROBE_DOCUMENT, DocumentType: 'Command', DocumentFormat: 'JSON', Content: JSON.stringify(probeDocumentContent()) }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.machines.values()].map((m) => m.destroy()));
    this.ssm?.destroy();
    await this.twin?.stop();
    await this.moto.stop();
    rmSync(this.base, { recursive: true, force: true });
  }

  /** A booted machine whose runner started a minute ago. */
  async machine(spec: Partial<MachineSpec> = {}): Promise<LocalMachine> {
    const instanceId = `i-${(0x0abc0000000000000n + BigInt(++this.n)).toString(16).padStart(17, '0')}`;
    const m = new LocalMachine({ instanceId, spec: { hooks: 'none', ssm: true, ...spec }, baseDir: this.base });
    this.machines.set(instanceId, m);
    await m.boot();
    m.listenerStarted(Date.now() - 60_000);
    return m;
  }

  /** Polls GetCommandInvocation until the invocation is terminal (or `timeoutMs`). */
  async waitForInvocation(commandId: string, instanceId: string, timeoutMs = 10_000): Promise<GetCommandInvocationCommandOutput> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const out = await this.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
        if (['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(out.Status ?? '')) return out;
        if (Date.now() > deadline) return out;
      } catch (error) {
        if ((error as Error).name !== 'InvocationDoesNotExist' || Date.now() > deadline) throw error;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function errorOf(work: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await work;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}) };
  }
  throw new Error('expected the call to fail');
}
