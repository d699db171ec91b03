# Plans this example with a mocked AWS provider (run by test/terraform/static.test.ts).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

run "vpc_kms_and_s3_packages" {
  command = plan

  assert {
    condition     = contains([for s in jsondecode(module.runner_reaper.scale_down.policy_json).Statement : s.Sid], "ManageVpcNetworkInterfaces")
    error_message = "Functions in a VPC need the network interface statement."
  }
  assert {
    condition = [for s in jsondecode(module.runner_reaper.scale_down.policy_json).Statement : s.Condition if s.Sid == "DecryptGitHubAppParametersThroughSsm"] == [
      { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" } }
    ]
    error_message = "kms:Decrypt must be allowed only through SSM."
  }
  assert {
    condition     = contains([for s in jsondecode(module.runner_reaper.scale_down.policy_json).Statement : s.Resource if s.Sid == "ReadGitHubAppParameters"][0], "arn:aws:ssm:eu-west-1:111122223333:parameter/ghes-ci/github/ca-bundle")
    error_message = "The functions must be allowed to read the CA bundle parameter."
  }
  assert {
    condition     = module.runner_reaper.scale_down.function_name == "ghes-ci-reaper-scale-down"
    error_message = "The example must deploy the ghes-ci fleet's reaper."
  }
}
