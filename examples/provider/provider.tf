terraform {
  required_version = ">= 1.11"

  required_providers {
    webhooks = {
      source  = "seed/webhooks"
      version = "~> 0.1"
    }
  }
}

# Keep credentials out of the configuration: pass them as sensitive variables (for example TF_VAR_sellfern_token
# from your CI's secret store), or leave them out of the provider block and set SELLFERN_TOKEN and SELSUP_API_KEY.
variable "sellfern_token" {
  description = "Sellfern API token with the webhooks:manage scope (sk_live_...)."
  type        = string
  sensitive   = true
}

variable "selsup_api_key" {
  description = "SelSup API key."
  type        = string
  sensitive   = true
}

provider "webhooks" {
  # Both blocks are optional: a service's credentials are needed only when one of its resources, data sources or
  # actions is used.
  sellfern = {
    token = var.sellfern_token
    # base_url = "https://api.sellfern.com" # the default; or SELLFERN_BASE_URL
  }

  selsup = {
    api_key = var.selsup_api_key
    # base_url = "https://api.selsup.ru" # the default; or SELSUP_BASE_URL
  }

  # Retries after a 5xx other than 501, a dropped connection or a timeout (default 4; a 429 is waited out and does
  # not count), and the time allowed for each HTTP request.
  max_retries     = 4
  request_timeout = "30s"
}

# The resource type's prefix (sellfern_, selsup_) names a service, not the provider, so every resource and data
# source says which provider it belongs to.
resource "sellfern_webhook" "orders" {
  provider = webhooks

  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed"]
}

resource "selsup_webhook" "orders" {
  provider = webhooks

  name  = "Orders to the warehouse"
  url   = "https://hooks.example.com/selsup/orders"
  types = ["CREATE_ORDER", "ORDER_STATUS"]
}
