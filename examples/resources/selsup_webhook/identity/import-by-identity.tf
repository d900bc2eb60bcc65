# Import by identity with Terraform 1.12 or later (or OpenTofu 1.12): the identity names the webhook by the id
# SelSup assigned, a whole number written as a string. `terraform plan` shows the import, `terraform apply`
# performs it.
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
