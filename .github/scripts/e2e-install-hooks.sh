#!/usr/bin/env bash
# Installs the job hooks on the workflow's machine the way a runner instance installs them:
# runs the module's user-data snippet (Terraform output runner_hooks_user_data of the e2e
# fixture) with sh, as cloud-init would. It writes the two hook scripts and sets
# ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED in the unpacked runner's .env, which every
# runner copy of the scenario inherits and actions/runner loads when it starts.
set -euo pipefail

outputs_file="${1:?usage: $0 TERRAFORM_OUTPUTS_FILE}"
snippet="$(mktemp)"
trap 'rm -f "$snippet"' EXIT

jq -er '.runner_hooks_user_data.value' "$outputs_file" >"$snippet"
sh -e "$snippet"
echo "job hooks installed; the runner's .env now reads:"
grep '^ACTIONS_RUNNER_HOOK_' "${SCENARIO_RUNNER_DIR:?SCENARIO_RUNNER_DIR is required}/.env"
