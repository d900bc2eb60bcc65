# The configuration `make demo` applies against the bundled mock server: a Sellfern and a SelSup webhook side by
# side. Credentials and endpoints come from the environment (SELLFERN_TOKEN, SELLFERN_BASE_URL, SELSUP_API_KEY,
# SELSUP_BASE_URL), so nothing secret is written here.

terraform {
  required_version = ">= 1.11"

  required_providers {
    webhooks = {
      source = "seed/webhooks"
    }
  }
}

provider "webhooks" {
  max_retries     = 4
  request_timeout = "30s"
}

variable "signing_secret_generation" {
  description = "Bump to give the orders webhook a new signing secret (the demo applies 2 after 1)."
  type        = number
  default     = 1
}

resource "sellfern_webhook" "orders" {
  provider = webhooks

  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed", "order.fulfillment.shipped"]

  # A new value replaces the webhook, for a new signing secret; the new one exists before the old one is deleted.
  rotate_when_changed = {
    generation = var.signing_secret_generation
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "sellfern_webhook" "support" {
  provider = webhooks

  url     = "https://hooks.example.com/sellfern/support"
  events  = ["ticket.created", "ticket.updated"]
  enabled = false # registered now, switched on when the help desk is ready
}

resource "selsup_webhook" "orders" {
  provider = webhooks

  name            = "Заказы → склад"
  url             = "https://hooks.example.com/selsup/orders"
  types           = ["CREATE_ORDER", "ORDER_STATUS"]
  organization_id = 1

  lifecycle {
    # SelSup cannot update a webhook: any change replaces it. Create the new one first so no event is missed.
    create_before_destroy = true
  }
}

data "sellfern_webhooks" "all" {
  provider = webhooks

  depends_on = [sellfern_webhook.orders, sellfern_webhook.support]
}

output "sellfern_orders_id" {
  value = sellfern_webhook.orders.id
}

output "sellfern_orders_secret" {
  description = "Give this to the receiving service to verify Sellfern's signatures."
  value       = sellfern_webhook.orders.secret
  sensitive   = true
}

output "selsup_orders_id" {
  value = selsup_webhook.orders.id
}

# The endpoints the Sellfern account delivers to. During a rotation the old and the new orders webhook share one
# for a moment (this data source, read in that apply between the two, sees both).
output "sellfern_endpoints" {
  value = sort(distinct([for w in data.sellfern_webhooks.all.webhooks : w.url]))
}
