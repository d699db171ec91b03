#!/usr/bin/env bash
# Runs after the end-to-end scenario even when it failed or was cancelled. The scenario
# cleans up after itself; this catches what a crash left behind:
# - cancels the job-workflow runs it dispatched (a job queued for a label no runner
#   serves any more would wait a day), found by the label in their run name;
# - deregisters every runner that carries the run's unique label.
# Errors are reported and skipped: one leftover must not hide the others.
set -uo pipefail

: "${GH_TOKEN:?GH_TOKEN is required}"
owner="${SCENARIO_GITHUB_OWNER:?SCENARIO_GITHUB_OWNER is required}"
repo="$owner/${SCENARIO_GITHUB_REPO:?SCENARIO_GITHUB_REPO is required}"
label="${SCENARIO_RUNNER_LABEL:?SCENARIO_RUNNER_LABEL is required}"
workflow="${SCENARIO_JOB_WORKFLOW:-e2e-job.yml}"
runners="repos/$repo/actions/runners"
if [ "${SCENARIO_RUNNER_SCOPE:-repo}" = "org" ]; then
  runners="orgs/$owner/actions/runners"
fi

gh run list --repo "$repo" --workflow "$workflow" --limit 100 \
  --json databaseId,displayTitle,status \
  --jq ".[] | select(.status != \"completed\")
            | select(.displayTitle | split(\" \") | any(. == \"$label\")) | .databaseId" |
  while read -r run_id; do
    echo "cancelling run $run_id"
    gh run cancel --repo "$repo" "$run_id" || echo "could not cancel run $run_id"
  done

# Returns non-zero when a runner is left (a busy runner refuses deletion until its
# cancelled job has stopped, so the caller tries again).
deregister_labelled_runners() {
  local listed left=0 runner_id runner_name
  listed="$(gh api --paginate "$runners?per_page=100" \
    --jq ".runners[] | select(any(.labels[]; .name == \"$label\")) | \"\\(.id) \\(.name)\"")" || return 1
  while read -r runner_id runner_name; do
    [ -n "$runner_id" ] || continue
    echo "deregistering runner $runner_id ($runner_name)"
    gh api --silent --method DELETE "$runners/$runner_id" || left=1
  done <<<"$listed"
  return "$left"
}

for attempt in 1 2 3; do
  deregister_labelled_runners && exit 0
  echo "attempt $attempt left runners behind; retrying in 20 s"
  sleep 20
done
echo "::warning::runners labelled $label may still be registered; GitHub removes offline ephemeral runners after a day"
