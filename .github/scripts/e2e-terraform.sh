#!/usr/bin/env bash
# Applies or destroys the end-to-end Terraform fixture (.github/e2e/terraform, the root
# module plus the GitHub App's SSM parameters) against LocalStack.
# apply writes `terraform output -json` to OUTPUTS_FILE for the scenario.
set -euo pipefail

cd "$(dirname "$0")/../e2e/terraform"

# The Lambdas read the App key from SSM as base64, the way the github-aws-runners
# module stores it; the secret holds the PEM. Destroy needs no credentials: empty values.
TF_VAR_github_app_key_base64=""
if [ -n "${SCENARIO_GITHUB_APP_PRIVATE_KEY:-}" ]; then
  TF_VAR_github_app_key_base64="$(printf '%s' "$SCENARIO_GITHUB_APP_PRIVATE_KEY" | base64 -w0)"
  echo "::add-mask::$TF_VAR_github_app_key_base64"
fi
export TF_VAR_github_app_key_base64
export TF_VAR_github_app_id="${SCENARIO_GITHUB_APP_ID:-}"
export TF_VAR_github_app_installation_id="${SCENARIO_GITHUB_APP_INSTALLATION_ID:-}"
export TF_VAR_environment="${SCENARIO_ENVIRONMENT:?SCENARIO_ENVIRONMENT is required}"
export TF_VAR_aws_endpoint_url="${AWS_ENDPOINT_URL:?AWS_ENDPOINT_URL is required}"
export TF_VAR_aws_region="${AWS_REGION:?AWS_REGION is required}"
# Where the hooks' user-data snippet installs them (apply only; destroy needs no paths).
if [ -n "${SCENARIO_RUNNER_DIR:-}" ]; then export TF_VAR_runner_dir="$SCENARIO_RUNNER_DIR"; fi
if [ -n "${SCENARIO_WORK_DIR:-}" ]; then export TF_VAR_hooks_install_dir="$SCENARIO_WORK_DIR/hooks"; fi
export TF_IN_AUTOMATION=1 TF_INPUT=0

case "${1:-}" in
  apply)
    outputs_file="${2:?usage: $0 apply OUTPUTS_FILE}"
    terraform init -input=false
    terraform apply -input=false -auto-approve
    terraform output -json >"$outputs_file"
    ;;
  destroy)
    if [ ! -f terraform.tfstate ]; then
      echo "nothing to destroy"
      exit 0
    fi
    terraform destroy -input=false -auto-approve
    ;;
  *)
    echo "usage: $0 apply OUTPUTS_FILE | destroy" >&2
    exit 2
    ;;
esac
