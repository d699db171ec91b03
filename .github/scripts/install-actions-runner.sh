#!/usr/bin/env bash
# Downloads the pinned actions/runner release, checks its SHA-256 and unpacks it into DIR.
# The end-to-end scenario starts its runner processes from copies of this directory.
set -euo pipefail

# From the release notes of actions/runner v2.338.0 (the linux-x64 asset).
readonly version="2.338.0"
readonly sha256="af4b794c1bc41d73d40535e3fe092a39f9679cd8d965954c2aca25a05ca41d32"

dest="${1:?usage: $0 DIR}"
archive="actions-runner-linux-x64-${version}.tar.gz"
download_dir="$(mktemp -d)"
trap 'rm -rf "$download_dir"' EXIT

curl -fsSL --retry 3 -o "$download_dir/$archive" \
  "https://github.com/actions/runner/releases/download/v${version}/${archive}"
echo "${sha256}  $download_dir/$archive" | sha256sum --check --strict -
mkdir -p "$dest"
tar -xzf "$download_dir/$archive" -C "$dest"
echo "actions/runner ${version} unpacked in $dest"
