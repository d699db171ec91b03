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
