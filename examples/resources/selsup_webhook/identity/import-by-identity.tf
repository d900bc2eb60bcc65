# Import by identity: the identity names the webhook by the id SelSup assigned, a whole number written as a string.
# `terraform plan` shows the import, `terraform apply` performs it.
terraform {
  required_version = ">= 1.12" # import blocks by identity; OpenTofu 1.12 has them too
}

import {
  provider = webhooks # like the resource block: the type's prefix is not the provider's name

  to = selsup_webhook.products
  identity = {
    id = "1042"
  }
}

resource "selsup_webhook" "products" {
  provider = webhooks

  name  = "Товары"
  url   = "https://hooks.example.com/selsup/products"
  types = ["CREATE_PRODUCT"]
}
