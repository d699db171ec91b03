#!/bin/sh
# runner-reaper job-completed hook (ACTIONS_RUNNER_HOOK_JOB_COMPLETED).
#
# Records the end of the job on this EC2 instance: ghr:last-job-completed-at=<now>, then
# removes ghr:job. The order matters: the completion time is written first, so the
# reaper, seeing a job completed after its idle sighting, restarts its idle count.
#
# A failure here never fails the job (it has already run): it only warns. A ghr:job tag
# left behind keeps the instance from scale-down, which is safe, and is logged.
#
# Overrides (tests, proxies): RUNNER_REAPER_IMDS_ENDPOINT (default http://169.254.169.254);
# the aws CLI honours AWS_ENDPOINT_URL and AWS_REGION as usual.
set -u

imds="${RUNNER_REAPER_IMDS_ENDPOINT:-http://169.254.169.254}"

warn() {
  echo "runner-reaper: $1; the instance keeps its ghr:job tag until this is fixed" >&2
  exit 0
}

token=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 -X PUT \
  -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$imds/latest/api/token") ||
  warn "no IMDSv2 token from $imds"
instance_id=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 \
  -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id") ||
  warn "no instance id from IMDS"
region=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 \
  -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/placement/region") ||
  warn "no region from IMDS"

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

aws ec2 create-tags --region "$region" --resources "$instance_id" \
  --tags "[{\"Key\":\"ghr:last-job-completed-at\",\"Value\":\"$now\"}]" ||
  warn "could not tag $instance_id with ghr:last-job-completed-at"
aws ec2 delete-tags --region "$region" --resources "$instance_id" \
  --tags "[{\"Key\":\"ghr:job\"}]" ||
  warn "could not remove ghr:job from $instance_id"

echo "runner-reaper: $instance_id job completed at $now"
