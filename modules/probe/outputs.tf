output "document_name" {
  description = "Name of the probe document."
  value       = aws_ssm_document.probe.name
}

output "document_arn" {
  description = "ARN of the probe document."
  value       = aws_ssm_document.probe.arn
}

output "script" {
  description = "The probe script the document runs."
  value       = local.script
}

output "content" {
  description = "The document's content (JSON), as created."
  value       = aws_ssm_document.probe.content
}
