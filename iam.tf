# What the two functions may do, and nothing more. Every EC2 write is scoped to instances
# that carry BOTH fleet tags (one statement, so the two conditions are ANDed), and tag
# writes are limited to the reaper's own memory keys.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # The tags that make an instance ours (lambda/src/core/tags.ts).
  fleet_tag_conditions = {
    "aws:ResourceTag/ghr:environment" = var.environment
    "aws:ResourceTag/ghr:Application" = "github-action-runner"
  }

  # The reaper's memory between runs (lambda/src/core/tags.ts): the only keys it writes.
  reaper_tag_keys = ["ghr:idle-since", "ghr:draining-since", "ghr:orphan", "ghr:orphan-since"]

  github_app_parameter_names = compact([
    var.github_app.id_parameter,
    var.github_app.key_base64_parameter,
    var.github_app.installation_id_parameter,
  ])

  github_app_parameter_arns = [
    for name in local.github_app_parameter_names :
    "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(name, "/")}"
  ]

  instance_arns = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"

  reaper_statements = concat(
    [
      {
        # DescribeInstances has no resource-level permissions; read-only.
        Sid      = "DescribeInstances"
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances"]
        Resource = ["*"]
      },
      {
        Sid       = "TerminateFleetInstances"
        Effect    = "Allow"
        Action    = ["ec2:TerminateInstances"]
        Resource  = [local.instance_arns]
        Condition = { StringEquals = local.fleet_tag_conditions }
      },
      {
        Sid      = "TagFleetInstancesWithReaperKeys"
        Effect   = "Allow"
        Action   = ["ec2:CreateTags", "ec2:DeleteTags"]
        Resource = [local.instance_arns]
        Condition = {
          StringEquals                = local.fleet_tag_conditions
          "ForAllValues:StringEquals" = { "aws:TagKeys" = local.reaper_tag_keys }
          # ForAllValues is true for a request without tag keys; require some.
          Null = { "aws:TagKeys" = "false" }
        }
      },
      {
        Sid      = "ReadGitHubAppParameters"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = local.github_app_parameter_arns
      },
    ],
    var.ssm_kms_key_arn == null ? [] : [
      {
        Sid       = "DecryptGitHubAppParametersThroughSsm"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [var.ssm_kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = "ssm.${local.region}.amazonaws.com" } }
      },
    ],
  )
}
