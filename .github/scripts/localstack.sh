#!/usr/bin/env bash
# Starts or stops the LocalStack container of the end-to-end workflow.
# A step runs it rather than a `services:` entry because the image depends on a secret:
# the last image that needs no auth token (4.14.0) by default, a newer one when the
# repository has a LOCALSTACK_AUTH_TOKEN secret.
set -euo pipefail

readonly free_image="localstack/localstack:4.14.0"
readonly licensed_image="${LOCALSTACK_LICENSED_IMAGE:-localstack/localstack:2026.08.3}"
readonly name="reaper-e2e-localstack"
readonly endpoint="http://127.0.0.1:4566"

start() {
  local image="$free_image"
  # The workflow always sets LOCALSTACK_AUTH_TOKEN, to an empty string when the secret is
  # absent, so the variable is passed into the container only when it has a value.
  local licensed=()
  if [ -n "${LOCALSTACK_AUTH_TOKEN:-}" ]; then
    image="$licensed_image"
    licensed=(
      --env LOCALSTACK_AUTH_TOKEN
      # The licensed image runs EC2 instances as Docker containers by default and then
      # refuses an AMI that has no Docker image (InvalidAMIID.NotFound). The scenario's
      # instances only stand for machines: keep them records, as the free image does.
      --env EC2_VM_MANAGER=mock
      # IAM policies are evaluated only on the licensed image, and only when asked.
      --env ENFORCE_IAM=1
    )
  fi
  echo "Starting $image"
  # The Docker socket lets LocalStack run the Lambda functions' code in containers.
  docker run --detach --name "$name" \
    --publish 127.0.0.1:4566:4566 \
    --publish 127.0.0.1:4510-4559:4510-4559 \
    "${licensed[@]}" \
    --env DEBUG=0 \
    --volume /var/run/docker.sock:/var/run/docker.sock \
    "$image" >/dev/null

  for _ in $(seq 1 90); do
    if curl -fsS "$endpoint/_localstack/health" 2>/dev/null | grep -q '"ec2"'; then
      echo "LocalStack is ready at $endpoint"
      return 0
    fi
    sleep 2
  done
  echo "LocalStack did not become ready within 180 s" >&2
  docker logs "$name" >&2 || true
  return 1
}

stop() {
  # Keep the log for the artifact upload, then stop LocalStack and remove its container.
  docker logs "$name" >"${1:-localstack.log}" 2>&1 || true
  docker stop --time 20 "$name" >/dev/null 2>&1 || true
  docker rm --force "$name" >/dev/null 2>&1 || true
  # The Lambda containers LocalStack started through the Docker socket are siblings, not
  # children: removing LocalStack's container leaves them. LocalStack names them
  # <its container name>-lambda-<function>-<id>.
  local leftovers
  leftovers="$(docker ps --all --quiet --filter "name=^${name}-lambda-")"
  if [ -n "$leftovers" ]; then
    # shellcheck disable=SC2086 # one id per word
    docker rm --force $leftovers >/dev/null || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [LOG_FILE]" >&2; exit 2 ;;
esac
