# What the two functions may do, and nothing more. Every EC2 write and every probe command
# is scoped to instances that carry BOTH fleet tags (one condition map, so the two are
# ANDed), the environment tag being one of this deployment's, and tag writes are limited
# to the reaper's own memory keys.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # One environment stays a plain string, as 0.1.0 wrote it (no policy change on upgrade);
  # several are a list, which StringEquals matches as "any of".
  environment_condition = jsondecode(length(local.environments) == 1 ? jsonencode(local.environments[0]) : jsonencode(local.environments))

  # The tags that make an instance ours (lambda/src/core/tags.ts).
  fleet_tag_conditions = {
    "aws:ResourceTag/ghr:environment" = local.environment_condition
    "aws:ResourceTag/ghr:Application" = "github-action-runner"
  }

  # The reaper's memory between runs (lambda/src/core/tags.ts): exactly the keys the
  # functions write. The streak and draining marks, the orphan sighting, and the back-off
  # after a failed DELETE or a refused termination. Never ghr:orphan: the
  # github-aws-runners scale-down terminates what carries it.
  reaper_created_tag_keys = [
    "ghr:idle-since",
    "ghr:draining-since",
    "ghr:reaper-orphan-since",
    "ghr:reaper-delete-failures",
    "ghr:reaper-delete-failed-at",
    "ghr:reaper-termination-refused-at",
  ]
  # Exactly the keys the functions remove: the marks that end (the back-off tags are never
  # removed; they go with the instance), and the pair 0.1.0 wrote (ghr:orphan=true,
  # ghr:orphan-since), which orphan-cleanup removes on sight.
  reaper_removed_tag_keys = ["ghr:idle-since", "ghr:draining-since", "ghr:reaper-orphan-since"]
  legacy_tag_keys         = ["ghr:orphan", "ghr:orphan-since"]

  github_app_parameter_names = compact([
    var.github_app.id_parameter,
    var.github_app.key_base64_parameter,
    var.github_app.installation_id_parameter,
    var.github_ca_bundle_parameter,
  ])

  github_app_parameter_arns = [
    for name in local.github_app_parameter_names :
    "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(name, "/")}"
  ]

  instance_arns = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"

  # SendCommand is authorized once per resource of the request: the document, then each
  # instance (Service Authorization Reference, Systems Manager: SendCommand takes the
  # resource types document (required), instance, managed-instance and bucket; tags are
  # read with ssm:resourceTag/<key>). So the document and the instances are two
  # statements: a tag condition on the document would never match.
  probe_statements = [for statement in [
    {
      Sid      = "SendProbeDocument"
      Effect   = "Allow"
      Action   = ["ssm:SendCommand"]
      Resource = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:document/${local.probe_document_name}"]
    },
    {
      Sid      = "SendProbeToFleetInstances"
      Effect   = "Allow"
      Action   = ["ssm:SendCommand"]
      Resource = [local.instance_arns]
      Condition = {
        StringEquals = {
          "ssm:resourceTag/ghr:environment" = local.environment_condition
          "ssm:resourceTag/ghr:Application" = "github-action-runner"
        }
      }
    },
    {
      # Reads without resource-level permissions (same reference): the answers and which
      # instances are online in Systems Manager.
      Sid      = "ReadProbeAnswers"
      Effect   = "Allow"
      Action   = ["ssm:DescribeInstanceInformation", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations"]
      Resource = ["*"]
    },
  ] : statement if var.enable_probe]

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
        Action   = ["ec2:CreateTags"]
        Resource = [local.instance_arns]
        Condition = {
          StringEquals                = local.fleet_tag_conditions
          "ForAllValues:StringEquals" = { "aws:TagKeys" = local.reaper_created_tag_keys }
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
      {
        # One statement for every key it removes, so one DeleteTags may mix them. (After the
        # parameters statement: statement positions are read by the examples' tests.)
        Sid      = "UntagFleetInstancesReaperAndLegacyKeys"
        Effect   = "Allow"
        Action   = ["ec2:DeleteTags"]
        Resource = [local.instance_arns]
        Condition = {
          StringEquals                = local.fleet_tag_conditions
          "ForAllValues:StringEquals" = { "aws:TagKeys" = concat(local.reaper_removed_tag_keys, local.legacy_tag_keys) }
          Null                        = { "aws:TagKeys" = "false" }
        }
      },
    ],
    local.probe_statements,
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
