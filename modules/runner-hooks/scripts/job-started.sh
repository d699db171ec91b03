#!/bin/sh
# runner-reaper job-started hook (ACTIONS_RUNNER_HOOK_JOB_STARTED).
#
# Tags this EC2 instance while a job runs, so the reaper can see from the machine itself
# that it must not reclaim it: ghr:job=<run id>/<job>, ghr:job-started-at=<now, ISO-8601>.
#
# A failure to tag stops the job (exit 1): a job the reaper cannot see is a job it may
# kill. Set RUNNER_REAPER_HOOK_STRICT=false to only warn instead.
#
# Overrides (tests, proxies): RUNNER_REAPER_IMDS_ENDPOINT (default http://169.254.169.254);
# the aws CLI honours AWS_ENDPOINT_URL and AWS_REGION as usual.
set -u

imds="${RUNNER_REAPER_IMDS_ENDPOINT:-http://169.254.169.254}"

fail() {
  echo "runner-reaper: $1" >&2
  if [ "${RUNNER_REAPER_HOOK_STRICT:-true}" = "false" ]; then
    echo "runner-reaper: RUNNER_REAPER_HOOK_STRICT=false, so the job goes on without job evidence" >&2
    exit 0
  fi
  echo "runner-reaper: stopping the job so it cannot run unseen by the reaper" >&2
  exit 1
}

# EC2 tag values allow letters, digits, spaces and + - = . _ : / @ (256 at most).
tag_value() {
  printf '%s' "$1" | tr -c 'A-Za-z0-9 +=._:/@-' '_' | cut -c1-256
}

token=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 -X PUT \
  -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$imds/latest/api/token") ||
  fail "no IMDSv2 token from $imds"
instance_id=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 \
  -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id") ||
  fail "no instance id from IMDS"
region=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 \
  -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/placement/region") ||
  fail "no region from IMDS"

job=$(tag_value "${GITHUB_RUN_ID:-unknown-run}/${GITHUB_JOB:-unknown-job}")
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

aws ec2 create-tags --region "$region" --resources "$instance_id" \
  --tags "[{\"Key\":\"ghr:job\",\"Value\":\"$job\"},{\"Key\":\"ghr:job-started-at\",\"Value\":\"$now\"}]" ||
  fail "could not tag $instance_id with ghr:job"

echo "runner-reaper: $instance_id tagged ghr:job=$job"
