# Import with an import block: `terraform plan` shows the import, `terraform apply` performs it.
import {
  provider = webhooks # like the resource block: the type's prefix is not the provider's name

  to = selsup_webhook.orders
  id = "1042"
}
