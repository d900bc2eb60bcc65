terraform {
  required_version = ">= 1.11"

  required_providers {
    webhooks = {
      source  = "seed/webhooks"
      version = "~> 0.1"
    }
  }
}

variable "sellfern_token" {
  type      = string
  sensitive = true # from TF_VAR_sellfern_token, set by your CI's secret store
}

provider "webhooks" {
  # Both blocks are optional, and each setting may come from the environment instead.
  sellfern = { token = var.sellfern_token }
  selsup   = {} # the API key from SELSUP_API_KEY
}
