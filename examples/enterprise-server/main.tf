# GitHub Enterprise Server inside a VPC: the functions run in private subnets that reach
# the GHES API, trust its private CA, logs are encrypted with your key, and the packages
# come from S3.

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.50.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region of the runner fleet."
  type        = string
  default     = "eu-west-1"
}

variable "ghes_hostname" {
  description = "Hostname of the GitHub Enterprise Server."
  type        = string
  default     = "github.example.com"
}

variable "ghes_points_per_minute" {
  description = "The server's secondary rate limit per endpoint, in points a minute (GitHub Enterprise Server's rate limits are set by its administrator)."
  type        = number
  default     = 900
}

variable "subnet_ids" {
  description = "Private subnets with a route to the GHES API and to the EC2 and SSM APIs (NAT or VPC endpoints)."
  type        = list(string)
  default     = ["subnet-00000000000000000"]
}

variable "security_group_ids" {
  description = "Security groups that allow HTTPS out to GHES and the AWS APIs."
  type        = list(string)
  default     = ["sg-00000000000000000"]
}

variable "kms_key_arn" {
  description = "KMS key for the log groups and environment variables (its policy must allow CloudWatch Logs), also used for the GitHub App parameters here."
  type        = string
  default     = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
}

variable "artifacts_bucket" {
  description = "S3 bucket holding the released Lambda zips."
  type        = string
  default     = "my-ci-artifacts"
}

module "runner_reaper" {
  source = "../../"

  environment = "ghes-ci"
  ghes_url    = "https://${var.ghes_hostname}" # the API is <ghes_url>/api/v3
  # A PEM bundle with the CA that signed the server's certificate, in SSM.
  github_ca_bundle_parameter = "/ghes-ci/github/ca-bundle"
  github_points_per_minute   = var.ghes_points_per_minute
  github_app = {
    id_parameter              = "/ghes-ci/app/github_app_id"
    key_base64_parameter      = "/ghes-ci/app/github_app_key_base64"
    installation_id_parameter = "/ghes-ci/app/github_app_installation_id"
  }

  vpc_config = {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }
  kms_key_arn     = var.kms_key_arn
  ssm_kms_key_arn = var.kms_key_arn

  lambda_s3 = {
    bucket             = var.artifacts_bucket
    scale_down_key     = "runner-reaper/v0.2.0/scale-down.zip"
    orphan_cleanup_key = "runner-reaper/v0.2.0/orphan-cleanup.zip"
  }

  log_retention_in_days = 90
  role_path             = "/ci/"
}
