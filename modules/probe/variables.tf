variable "document_name" {
  description = "Name of the SSM document. AWS reserves the prefixes aws, amazon and amzn."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,128}$", var.document_name)) && !can(regex("^(?i)(aws|amazon|amzn)", var.document_name))
    error_message = "document_name must be 3 to 128 letters, digits, _ . or -, and must not start with aws, amazon or amzn (reserved by AWS): set the root module's prefix."
  }
}

variable "execution_timeout_seconds" {
  description = "How long SSM lets the probe script run on an instance before it stops it. The reaper stops waiting much earlier (PROBE_TIMEOUT_SECONDS); this only bounds a stuck script."
  type        = number
  default     = 60

  validation {
    condition     = var.execution_timeout_seconds >= 10 && var.execution_timeout_seconds <= 600 && floor(var.execution_timeout_seconds) == var.execution_timeout_seconds
    error_message = "execution_timeout_seconds must be a whole number from 10 to 600."
  }
}

variable "runner_directory" {
  description = "The actions runner's directory on the instances: the default of the document's runnerRoot parameter."
  type        = string
  default     = "/opt/actions-runner"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]{0,254}$", var.runner_directory))
    error_message = "runner_directory must be an absolute path of letters, digits and . _ - /."
  }
}

variable "tags" {
  description = "Tags for the document."
  type        = map(string)
  default     = {}
}
