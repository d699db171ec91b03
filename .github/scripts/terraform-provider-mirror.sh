#!/usr/bin/env bash
# Builds a filesystem mirror of hashicorp/aws in DIR, like the one the offline machines
# carry, so CI installs exactly the provider version the tests are developed against.
# The tests find it through TF_PLUGIN_MIRROR (scripts/terraform/cli-config.ts).
set -euo pipefail

readonly aws_provider_version="5.100.0"
dest="${1:?usage: $0 DIR}"
config_dir="$(mktemp -d)"
trap 'rm -rf "$config_dir"' EXIT

cat >"$config_dir/versions.tf" <<HCL
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "${aws_provider_version}"
    }
  }
}
HCL
terraform -chdir="$config_dir" providers mirror -platform=linux_amd64 "$dest"
echo "hashicorp/aws ${aws_provider_version} mirrored in $dest"
