# The machine probe (docs/design.md, "The machine probe"): an SSM Command document whose one
# step runs scripts/probe.sh on a Linux instance. It prints one line of JSON saying whether a
# job runs there (lambda/src/adapters/probe-answer.ts). The reaper sends it to many instances
# with one SendCommand and reads the answers; no answer, or a malformed one, means keep.
#
# Linux only: the step's precondition skips it on other platforms, and a skipped step prints
# nothing, which the reaper reads as "no answer": Windows and macOS instances stay
# conservative (no probe evidence) until a PowerShell probe can be trusted.

locals {
  script = file("${path.module}/scripts/probe.sh")

  content = {
    schemaVersion = "2.2"
    description   = "runner-reaper probe: prints one line of JSON saying whether a GitHub Actions job runs on this runner instance. Read-only."
    parameters = {
      runnerRoot = {
        type           = "String"
        description    = "The actions runner's directory on the instance."
        default        = var.runner_directory
        allowedPattern = "^/[A-Za-z0-9._/-]{0,254}$"
      }
    }
    mainSteps = [{
      action       = "aws:runShellScript"
      name         = "probe"
      precondition = { StringEquals = ["platformType", "Linux"] }
      inputs = {
        # The agent writes these lines, in order, to one script file and runs it. The first
        # sets the runner root the script reads; the script itself has no {{ }} for SSM to
        # substitute.
        runCommand     = concat(["RUNNER_REAPER_RUNNER_ROOT='{{ runnerRoot }}'"], split("\n", trimsuffix(local.script, "\n")))
        timeoutSeconds = tostring(var.execution_timeout_seconds)
      }
    }]
  }
}

resource "aws_ssm_document" "probe" {
  name            = var.document_name
  document_type   = "Command"
  document_format = "JSON"
  content         = jsonencode(local.content)
  tags            = var.tags

  lifecycle {
    precondition {
      condition     = !strcontains(local.script, "{{")
      error_message = "modules/probe/scripts/probe.sh must not contain {{: SSM would substitute it as a document parameter."
    }
  }
}
