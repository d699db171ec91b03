variable "function_name" {
  description = "Name of the Lambda function; also names its role, log group and schedule rule."
  type        = string
}

variable "description" {
  description = "Description of the Lambda function."
  type        = string
}

variable "handler" {
  description = "Handler inside the zip."
  type        = string
  default     = "index.handler"
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
}

variable "zip_file" {
  description = "Local path of the deployment zip. Ignored when s3_object is set."
  type        = string
  default     = null
}

variable "s3_object" {
  description = "Deployment zip in S3 instead of a local file."
  type = object({
    bucket         = string
    key            = string
    object_version = optional(string)
  })
  default = null
}

variable "environment_variables" {
  description = "Environment variables of the function (the configuration contract)."
  type        = map(string)
}

variable "policy_statements" {
  description = "IAM statements granted to the function besides writing to its own log group."
  type        = any
}

variable "schedule_expression" {
  description = "EventBridge schedule expression that invokes the function."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group."
  type        = number
}

variable "kms_key_arn" {
  description = "KMS key for the log group and the function's environment variables, or null."
  type        = string
  default     = null
}

variable "vpc_config" {
  description = "Subnets and security groups to run the function in, or null."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; -1 for none."
  type        = number
}

variable "role_path" {
  description = "Path of the IAM role."
  type        = string
}

variable "role_permissions_boundary" {
  description = "ARN of a permissions boundary for the IAM role, or null."
  type        = string
  default     = null
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
}

variable "region" {
  description = "AWS region of the function."
  type        = string
}

variable "account_id" {
  description = "AWS account id of the function."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
}
