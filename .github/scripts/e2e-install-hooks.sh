#!/usr/bin/env bash
# Installs the job hooks on the workflow's machine the way a runner instance installs them:
# runs the module's user-data snippet (Terraform output runner_hooks_user_data of the e2e
# fixture) with sh, as cloud-init would. It writes the two hook scripts and the boot check,
# and sets ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED in the unpacked runner's .env, which
# every runner copy of the scenario inherits and actions/runner loads when it starts.
#
# The snippet also starts its boot check for the unpacked runner. That runner never starts
# here: each emulated instance runs a copy of it, and the scenario runs the snippet's check
# for each copy (integration/scenario/runners-real.ts). So this one is stopped, by the pid
# it printed, rather than left waiting out its bound.
set -euo pipefail

outputs_file="${1:?usage: $0 TERRAFORM_OUTPUTS_FILE}"
runner_dir="${SCENARIO_RUNNER_DIR:?SCENARIO_RUNNER_DIR is required}"
snippet="$(mktemp)"
trap 'rm -f "$snippet"' EXIT

jq -er '.runner_hooks_user_data.value' "$outputs_file" >"$snippet"
output="$(sh -e "$snippet")"
printf '%s\n' "$output"
echo "job hooks installed; the runner's .env now reads:"
grep '^ACTIONS_RUNNER_HOOK_' "$runner_dir/.env"

pid="$(printf '%s\n' "$output" | sed -n 's/^runner-reaper hook check: started in the background (pid \([0-9][0-9]*\)).*/\1/p')"
if [ -z "$pid" ]; then
  echo "the snippet did not say it started its boot check" >&2
  exit 1
fi
# Only that check (setsid made it the leader of its own process group), never a process
# that took its pid after it ended.
if tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '/check-hooks\.sh$'; then
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
  echo "stopped the snippet's boot check for $runner_dir (pid $pid): each instance runs its own"
fi
