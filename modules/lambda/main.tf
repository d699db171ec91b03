# One scheduled Lambda with its own role, log group and schedule. The root module uses it
# twice (scale-down and orphan-cleanup) so both functions are built the same way.

locals {
  log_group_name = "/aws/lambda/${var.function_name}"
  log_group_arn  = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"

  # Logs only to its own group; the group itself is created here, so no CreateLogGroup.
  logs_statement = {
    Sid      = "WriteOwnLogGroup"
    Effect   = "Allow"
    Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    Resource = ["${local.log_group_arn}:*"]
  }

  # Lambda in a VPC manages its network interfaces itself; these calls take no resource
  # scope (the same set as the AWS managed AWSLambdaVPCAccessExecutionRole).
  vpc_statement = {
    Sid    = "ManageVpcNetworkInterfaces"
    Effect = "Allow"
    Action = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    Resource = ["*"]
  }

  policy = {
    Version = "2012-10-17"
    Statement = concat(
      var.policy_statements,
      [local.logs_statement],
      var.vpc_config == null ? [] : [local.vpc_statement],
    )
  }
}

resource "aws_iam_role" "this" {
  name                 = var.function_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "runner-reaper"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.policy)
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  handler       = var.handler
  runtime       = var.runtime
  memory_size   = var.memory_size
  timeout       = var.timeout
  architectures = ["x86_64"]
  kms_key_arn   = var.kms_key_arn

  filename          = var.s3_object == null ? var.zip_file : null
  source_code_hash  = var.s3_object == null ? filebase64sha256(var.zip_file) : null
  s3_bucket         = try(var.s3_object.bucket, null)
  s3_key            = try(var.s3_object.key, null)
  s3_object_version = try(var.s3_object.object_version, null)

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = var.environment_variables
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = var.tags

  # The log group must exist first, or Lambda creates one without retention or KMS.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = var.function_name
  description         = "Runs ${var.function_name} on a schedule."
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  rule      = aws_cloudwatch_event_rule.schedule.name
  target_id = "lambda"
  arn       = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowScheduleInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}
