import { MemoryEc2 } from '../../chaos';
import { RUNNER_APPLICATION, TAG } from '../../../lambda/src/core';

const tags = { [TAG.application]: RUNNER_APPLICATION, [TAG.environment]: 'chaos', [TAG.owner]: 'o', [TAG.type]: 'Org' };

describe('MemoryEc2', () => {
  it('terminating moves a live instance to shutting-down once and reports it to the world', async () => {
    const ended: string[] = [];
    const ec2 = new MemoryEc2(() => 0, (id) => ended.push(id));
    const a = ec2.launch(tags);
    const b = ec2.launch(tags);
    ec2.setState(a, 'running');
    expect((await ec2.listRunnerInstances(['chaos'])).instances.map((i) => i.id)).toEqual([a, b]);

    const result = await ec2.terminate([a, 'i-unknown']);
    expect(result.terminated).toEqual([a]);
    expect(result.failed.map((f) => f.instanceId)).toEqual(['i-unknown']);
    await ec2.terminate([a]);
    expect(ended).toEqual([a]);
    expect(ec2.stateOf(a)).toBe('shutting-down');
    expect((await ec2.listRunnerInstances(['chaos'])).instances.map((i) => i.id)).toEqual([b]);
    expect((await ec2.describeByIds([a])).get(a)?.state).toBe('shutting-down');
  });

  it('hook writes land only on a live instance', async () => {
    const ec2 = new MemoryEc2(() => 0, () => undefined);
    const a = ec2.launch(tags);
    ec2.hookWrite(a, { [TAG.job]: 'run/1' });
    expect(ec2.tagsOf(a)?.[TAG.job]).toBe('run/1');
    ec2.hookWrite(a, { [TAG.lastJobCompletedAt]: 'x' }, [TAG.job]);
    expect(ec2.tagsOf(a)?.[TAG.job]).toBeUndefined();
    await ec2.terminate([a]);
    ec2.hookWrite(a, { [TAG.job]: 'run/2' });
    expect(ec2.tagsOf(a)?.[TAG.job]).toBeUndefined();
  });
});
