# Import by identity, which needs Terraform 1.12 or OpenTofu 1.12 or later: the identity names the webhook by the
# id Sellfern assigned. `terraform plan` shows the import, `terraform apply` performs it.
terraform {
  required_version = ">= 1.12"
  required_providers {
    webhooks = { source = "seed/webhooks" }
  }
}

import {
  provider = webhooks # like the resource block: the type's prefix is not the provider's name

  to = sellfern_webhook.support
  identity = {
    id = "wh_abc123"
  }
}

resource "sellfern_webhook" "support" {
  provider = webhooks

  url     = "https://hooks.example.com/sellfern/support"
  events  = ["ticket.created", "ticket.updated"]
  enabled = false
}
