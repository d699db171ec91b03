#!/usr/bin/env bash
# Writes DIR/SHA256SUMS for the release zips (`sha256sum --check SHA256SUMS` verifies a
# download). Fails unless exactly the two Lambda zips are there, so a build that lost
# or renamed one cannot be released silently.
set -euo pipefail

dir="${1:?usage: $0 DIR}"
cd "$dir"
shopt -s nullglob
zips=(*.zip)
if [ "${#zips[@]}" -ne 2 ]; then
  echo "expected the two Lambda zips in $dir, found ${#zips[@]}: ${zips[*]}" >&2
  exit 1
fi
sha256sum "${zips[@]}" >SHA256SUMS
cat SHA256SUMS
