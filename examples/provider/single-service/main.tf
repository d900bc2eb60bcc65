# A configuration that uses only Sellfern can declare the provider under the local name "sellfern". Terraform then
# finds the provider of sellfern_* resources by their prefix, and no block needs a provider argument.
terraform {
  required_version = ">= 1.11"

  required_providers {
    sellfern = {
      source  = "seed/webhooks"
      version = "~> 0.1"
    }
  }
}

# The provider block, if any, takes the local name too. Its settings are the same as under "webhooks"; here the
# token comes from SELLFERN_TOKEN.
provider "sellfern" {
  max_retries = 6
}

resource "sellfern_webhook" "orders" {
  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed"]
}

data "sellfern_webhooks" "all" {}
