terraform {
  # No provider: this module only renders the hook scripts, their installer and a policy.
  required_version = ">= 1.9.0"
}
