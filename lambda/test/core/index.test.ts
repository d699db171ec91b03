import * as core from '../../src/core';

test('the core index exposes the names the executors and handlers code against', () => {
  for (const name of [
    'ownerOf',
    'ownerKey',
    'findRunner',
    'hasJobEvidence',
    'jobActivityAfter',
    'idlePoolSize',
    'selectIdlePoolKeepers',
    'decideScaleDown',
    'decideOrphans',
    'judgeAfterSettle',
    'judgeBeforeDelete',
    'parseTagTime',
  ] as const) {
    expect([name, typeof core[name]]).toEqual([name, 'function']);
  }
  expect(core.TAG.job).toBe('ghr:job');
});
