# Import with Terraform 1.5 or later: `terraform plan` shows the import, `terraform apply` performs it.
import {
  provider = webhooks # like the resource block: the type's prefix is not the provider's name

  to = sellfern_webhook.orders
  id = "wh_abc123"
}
