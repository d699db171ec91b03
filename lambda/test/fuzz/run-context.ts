/**
 * What one run of the reaper was told, recorded by the fuzz's fake services as they
 * answer: every answer served (with the fault it carried, if any) and every piece of job
 * evidence shown to the reaper. The oracle reads it after the run; the services read it to
 * check, as a DELETE or a termination arrives, that nothing shown so far forbids it.
 */
import type { FaultKind, ListingFault } from './faults';

/** Where the run is: reading the snapshot, the executor before its settle, after it. */
export type Phase = 'read' | 'look' | 'after';

export type RunKind = 'scale-down' | 'orphan-cleanup';

/** What a well-behaved adapter must make of one answer, were it the last attempt. */
export type GetVerdict = { kind: 'found'; busy: boolean } | { kind: 'gone' } | { kind: 'error' } | { kind: 'installation' };
export type DeleteVerdict = 'deleted' | 'gone' | 'busy' | 'error';

export interface ServedGet {
  seq: number;
  runnerId: number;
  phase: Phase;
  status: number;
  verdict: GetVerdict;
  fault?: FaultKind;
}

export interface ServedDelete {
  seq: number;
  runnerId: number;
  instanceId?: string;
  status: number;
  verdict: DeleteVerdict;
  /** GitHub removed the registration (whatever it answered). */
  applied: boolean;
  fault?: FaultKind;
}

export interface ListingRecord {
  ownerPath: string;
  phase: Phase;
  scenario?: ListingFault;
  /** The scenario's fault was really served (a page it targets was asked for). */
  served: boolean;
  /** Runners that slid out of sight between two pages (list-slide). */
  unseen: Set<number>;
  /** Runners removed while the listing was read (list-slide). */
  removed: Set<number>;
}

/** One instance entry of a DescribeInstances answer. */
export interface ServedInstance {
  id?: string;
  /** The entry is whole: an id, a valid launch time, a known state. */
  wellFormed: boolean;
  /** The tags as served (a missing Value as ''); undefined when the entry had no Tags. */
  tags?: Record<string, string>;
  fault?: FaultKind;
}

export interface ServedDescribe {
  seq: number;
  call: 'list' | 'ids';
  phase: Phase;
  asked?: string[];
  entries: ServedInstance[];
  /** The call failed on one of its pages with this error name. */
  threw?: string;
  fault?: FaultKind;
}

export interface ServedWrite {
  seq: number;
  call: 'CreateTags' | 'DeleteTags' | 'TerminateInstances';
  phase: Phase;
  ids: string[];
  keys: string[];
  /** The call failed: its error name. */
  failed?: string;
  fault?: FaultKind;
}

/** One instance's probe answer as the fake SSM gave it (the last of its invocation). */
export interface ServedProbe {
  seq: number;
  phase: Phase;
  instanceId: string;
  /** What a well-behaved probe adapter must make of it. */
  verdict: { kind: 'answered'; busy: boolean } | { kind: 'error' };
  fault?: FaultKind;
}

export interface ServedOnline {
  seq: number;
  asked: string[];
  /** Ids served Online on the Linux platform (whether asked or not). */
  onlineLinux: Set<string>;
  threw?: string;
  fault?: FaultKind;
}

export class RunContext {
  phase: Phase = 'read';
  private seqNo = 0;
  readonly gets: ServedGet[] = [];
  readonly deletes: ServedDelete[] = [];
  readonly listings = new Map<string, ListingRecord>();
  readonly describes: ServedDescribe[] = [];
  readonly writes: ServedWrite[] = [];
  readonly probes: ServedProbe[] = [];
  readonly online: ServedOnline[] = [];
  /** Evidence shown to the reaper in this run, by the answers it was given. */
  readonly shown = {
    busyRunners: new Set<number>(),
    liveJobTags: new Set<string>(),
    bypass: new Set<string>(),
    probeBusy: new Set<string>(),
  };
  /** Ids GitHub was asked to DELETE in this run. */
  readonly deleteAsked = new Set<number>();
  /** Ids terminated by a TerminateInstances call that EC2 carried out. */
  readonly terminated = new Set<string>();
  /** Safety violations found while the run was going on (a DELETE or a termination that must not be). */
  readonly live: { rule: string; detail: string }[] = [];
  /** Terminations of a running job the fuzz excuses: GitHub accepted the DELETE of the busy runner and no machine evidence could show the job. */
  readonly excused: string[] = [];
  /** Counters of faults really served, by kind. */
  readonly faults = new Map<FaultKind, number>();

  constructor(
    readonly run: number,
    readonly kind: RunKind,
    readonly dryRun: boolean,
  ) {}

  seq(): number {
    return ++this.seqNo;
  }

  served(kind: FaultKind | undefined): void {
    if (kind) this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  violation(rule: string, detail: string): void {
    this.live.push({ rule, detail });
  }
}
