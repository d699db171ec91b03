output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's IAM role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule that invokes the function."
  value       = aws_cloudwatch_event_rule.schedule.name
}

output "policy_json" {
  description = "The inline IAM policy of the function's role."
  value       = jsonencode(local.policy)
}

output "configuration" {
  description = "The function's settings as deployed: handler, runtime, memory_size, timeout, environment variables, schedule expression and package source."
  value = {
    handler               = aws_lambda_function.this.handler
    runtime               = aws_lambda_function.this.runtime
    memory_size           = aws_lambda_function.this.memory_size
    timeout               = aws_lambda_function.this.timeout
    environment_variables = aws_lambda_function.this.environment[0].variables
    schedule_expression   = aws_cloudwatch_event_rule.schedule.schedule_expression
    filename              = aws_lambda_function.this.filename
    s3_bucket             = aws_lambda_function.this.s3_bucket
    s3_key                = aws_lambda_function.this.s3_key
    reserved_concurrency  = aws_lambda_function.this.reserved_concurrent_executions
    log_retention_in_days = aws_cloudwatch_log_group.this.retention_in_days
    log_kms_key_id        = aws_cloudwatch_log_group.this.kms_key_id
  }
}
