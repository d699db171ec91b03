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
  if [ -n "${LOCALSTACK_AUTH_TOKEN:-}" ]; then
    image="$licensed_image"
  fi
  echo "Starting $image"
  # The Docker socket lets LocalStack run the Lambda functions' code in containers.
  # `-e LOCALSTACK_AUTH_TOKEN` without a value passes the variable only when it is set.
  docker run --detach --name "$name" \
    --publish 127.0.0.1:4566:4566 \
    --publish 127.0.0.1:4510-4559:4510-4559 \
    --env LOCALSTACK_AUTH_TOKEN \
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
  # Keep the log for the artifact upload, then remove the container and what it started.
  docker logs "$name" >"${1:-localstack.log}" 2>&1 || true
  docker rm --force "$name" >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [LOG_FILE]" >&2; exit 2 ;;
esac
