# Read a webhook that another configuration (or a person) manages.
data "sellfern_webhook" "orders" {
  provider = webhooks

  id = "wh_abc123"
}

output "orders_webhook" {
  value = {
    url     = data.sellfern_webhook.orders.url
    events  = data.sellfern_webhook.orders.events
    enabled = data.sellfern_webhook.orders.enabled
  }
}
