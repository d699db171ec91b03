#!/bin/sh
# runner-reaper boot check: tags this EC2 instance ghr:job-hooks=<hook contract version>,
# the marker that makes the reaper trust its job hooks, only once it has checked that the
# runner will really call them. Anything else leaves no marker (an earlier one is removed),
# so the reaper treats the instance as having no hook evidence: never false safety.
#
# Why it waits. The runner reads its .env once, when Runner.Listener starts: line by line,
# top to bottom, each KEY=value line setting the variable, so the last line for a key wins
# and an empty value unsets it (actions/runner src/Runner.Listener/Program.cs,
# LoadAndSetEnv, v2.336). User data may append hook lines after ours: github-aws-runners
# v7.11.0 (modules/runners/templates/user-data.sh) writes its runner_hook_job_* lines after
# userdata_post_install. So the check waits, in the background and at most WAIT_SECONDS,
# until this runner's listener runs (`<runner dir>/bin/Runner.Listener run`, as run.sh and
# the service start it). The hook lines are final then; it reads the effective values.
#
# Accepted hooks: a .sh file whose content is the reaper's hook script, or the chain that
# modules/runner-hooks makes for github-aws-runners' runner_hook_job_* inputs (runs ours
# and the team's own hook). Content is compared by SHA-256 (trailing newlines dropped; in a
# chain the runner_reaper_team_hook data line is emptied first, so any team hook passes).
#
# Usage: check-hooks.sh [--background] CONFIG
# CONFIG (sh assignments, written by the user data): RUNNER_ENV_FILE, STARTED_SHA256 and
# COMPLETED_SHA256 (accepted digests, space-separated), CONTRACT_VERSION, WAIT_SECONDS,
# LOG_FILE, optional POLL_SECONDS (default 2).
# Overrides (tests, proxies): RUNNER_REAPER_IMDS_ENDPOINT (default http://169.254.169.254);
# the aws CLI honours AWS_ENDPOINT_URL and AWS_REGION as usual.
# Exit status: 0 marker written; 1 not verified (no marker); 2 verified but tagging failed.
set -u

background=false
if [ "${1:-}" = "--background" ]; then
  background=true
  shift
fi
config="${1:?usage: check-hooks.sh [--background] CONFIG}"
# shellcheck source=/dev/null
. "$config"
POLL_SECONDS="${POLL_SECONDS:-2}"

if [ "$background" = true ]; then
  # Detached from the user data, which goes on to start the runner. cloud-init keeps it
  # running: its final stage (cloud-final.service) is KillMode=process.
  if command -v setsid >/dev/null 2>&1; then
    nohup setsid sh "$0" "$config" </dev/null >>"$LOG_FILE" 2>&1 &
  else
    nohup sh "$0" "$config" </dev/null >>"$LOG_FILE" 2>&1 &
  fi
  echo "runner-reaper hook check: started in the background (pid $!), log in $LOG_FILE"
  exit 0
fi

log() {
  echo "runner-reaper hook check: $*"
}

imds="${RUNNER_REAPER_IMDS_ENDPOINT:-http://169.254.169.254}"

# Sets instance_id and region from IMDSv2, or returns 1.
instance_identity() {
  token=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 -X PUT \
    -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$imds/latest/api/token") || return 1
  instance_id=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 \
    -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id") || return 1
  region=$(curl -sSf --retry 3 --retry-delay 1 --retry-connrefused --max-time 5 \
    -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/placement/region") || return 1
}

# No marker: remove one an earlier run may have written, then report why (the last line).
not_verified() {
  if instance_identity &&
    aws ec2 delete-tags --region "$region" --resources "$instance_id" --tags '[{"Key":"ghr:job-hooks"}]'; then
    log "not verified: $1; no ghr:job-hooks marker on $instance_id, so the reaper treats it as an instance without hook evidence"
  else
    log "not verified: $1; could not make sure this instance carries no ghr:job-hooks marker"
  fi
  exit 1
}

runner_dir=$(dirname "$RUNNER_ENV_FILE")
runner_dir_physical=$(cd -P "$runner_dir" 2>/dev/null && pwd) || runner_dir_physical="$runner_dir"

# One grep over every process's NUL-separated arguments, then a closer look at the few
# candidates (a loop of one tr per process costs seconds on a busy machine).
listener_running() {
  grep -lzF -- /bin/Runner.Listener /proc/[0-9]*/cmdline 2>/dev/null | {
    while IFS= read -r cmdline; do
      args=$(tr '\000' ' ' 2>/dev/null <"$cmdline") || continue
      case "$args" in
      *"$runner_dir/bin/Runner.Listener run"* | *"$runner_dir_physical/bin/Runner.Listener run"*) exit 0 ;;
      esac
    done
    exit 1
  }
}

# The value the runner sets for key $1: .NET's File.ReadAllLines ends a line at \r, \n or
# \r\n; a line counts when it has a '=' after at least one character; the last one wins.
effective() {
  tr '\r' '\n' <"$RUNNER_ENV_FILE" | awk -v key="$1" '
    { i = index($0, "="); if (i > 1 && substr($0, 1, i - 1) == key) value = substr($0, i + 1) }
    END { printf "%s", value }'
}

normalized_sha256() {
  content=$(sed "s|^runner_reaper_team_hook='[A-Za-z0-9+/=]*'\$|runner_reaper_team_hook=''|" "$1") || return 1
  printf '%s' "$content" | sha256sum | cut -d ' ' -f 1
}

# Is the hook file $2 (named by key $1) one the reaper accepts (digests $3)? Sets reason.
accepted() {
  case "$2" in
  "") reason="$1 is not set in $RUNNER_ENV_FILE"; return 1 ;;
  *.sh) ;;
  *) reason="$1 is $2, not a .sh hook of the reaper"; return 1 ;;
  esac
  if [ ! -f "$2" ] || [ ! -r "$2" ]; then
    reason="$1 is $2, which is not a readable file"
    return 1
  fi
  sum=$(normalized_sha256 "$2") || {
    reason="cannot read $2"
    return 1
  }
  for want in $3; do
    [ "$sum" = "$want" ] && return 0
  done
  reason="$1 is $2, which does not run the reaper's hook (sha256 $sum)"
  return 1
}

log "waiting up to ${WAIT_SECONDS}s for $runner_dir/bin/Runner.Listener to start"
waited=0
until listener_running; do
  if [ "$waited" -ge "$WAIT_SECONDS" ]; then
    not_verified "the runner did not start within ${WAIT_SECONDS}s, so its .env may not be final"
  fi
  sleep "$POLL_SECONDS"
  waited=$((waited + POLL_SECONDS))
done

for tool in aws curl bash base64 sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || not_verified "the hooks need $tool, which is not on PATH"
done
[ -r "$RUNNER_ENV_FILE" ] || not_verified "cannot read $RUNNER_ENV_FILE"

started=$(effective ACTIONS_RUNNER_HOOK_JOB_STARTED)
accepted ACTIONS_RUNNER_HOOK_JOB_STARTED "$started" "$STARTED_SHA256" || not_verified "$reason"
completed=$(effective ACTIONS_RUNNER_HOOK_JOB_COMPLETED)
accepted ACTIONS_RUNNER_HOOK_JOB_COMPLETED "$completed" "$COMPLETED_SHA256" || not_verified "$reason"
log "the runner calls the reaper's hooks: ACTIONS_RUNNER_HOOK_JOB_STARTED=$started, ACTIONS_RUNNER_HOOK_JOB_COMPLETED=$completed"

instance_identity || {
  log "verified, but no instance identity from IMDS at $imds: no marker"
  exit 2
}
attempt=1
until aws ec2 create-tags --region "$region" --resources "$instance_id" \
  --tags "[{\"Key\":\"ghr:job-hooks\",\"Value\":\"$CONTRACT_VERSION\"}]"; do
  if [ "$attempt" -ge 3 ]; then
    log "verified, but could not tag $instance_id with ghr:job-hooks: no marker"
    exit 2
  fi
  attempt=$((attempt + 1))
  sleep "$POLL_SECONDS"
done
log "verified: tagged $instance_id ghr:job-hooks=$CONTRACT_VERSION"
