# The configuration beside the query file: list blocks need Terraform 1.14 or later (`terraform query`).
# Credentials come from the provider block or the environment.
terraform {
  required_version = ">= 1.14"

  required_providers {
    webhooks = {
      source = "seed/webhooks"
    }
  }
}

provider "webhooks" {}
