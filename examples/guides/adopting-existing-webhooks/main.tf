# The configuration the webhooks are adopted into. Credentials come from SELLFERN_TOKEN and SELSUP_API_KEY.
terraform {
  required_version = ">= 1.14"

  required_providers {
    webhooks = {
      source = "seed/webhooks"
    }
  }
}

provider "webhooks" {}
