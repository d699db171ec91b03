/** What the instance's own tags say about jobs (the job-hook contract) and people. */
import { TAG } from './tags';
import { isMalformedTime, parseTagTime } from './time';

type Tags = Readonly<Record<string, string>>;

/** `ghr:job` is set: the job-started hook says a job runs now. */
export function hasJobEvidence(tags: Tags): boolean {
  const job = tags[TAG.job];
  return job !== undefined && job.trim() !== '';
}

/** `ghr:bypass-removal=true`: a person asked us never to touch this instance. */
export function hasBypass(tags: Tags): boolean {
  return tags[TAG.bypassRemoval]?.trim().toLowerCase() === 'true';
}

/** A job-time tag is present but not a time: the hooks wrote something we cannot read. */
export function hasMalformedJobTimes(tags: Tags): boolean {
  return isMalformedTime(tags[TAG.jobStartedAt]) || isMalformedTime(tags[TAG.lastJobCompletedAt]);
}

/**
 * A job started or completed after `since`. A job-time tag that does not parse counts as
 * activity: we cannot tell when that job ran, so assume it ran after `since`.
 */
export function jobActivityAfter(tags: Tags, since: Date): boolean {
  if (hasMalformedJobTimes(tags)) return true;
  return [tags[TAG.jobStartedAt], tags[TAG.lastJobCompletedAt]].some((value) => {
    const time = parseTagTime(value);
    return time !== undefined && time.getTime() > since.getTime();
  });
}
