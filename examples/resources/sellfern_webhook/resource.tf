resource "sellfern_webhook" "orders" {
  provider = webhooks

  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed", "order.fulfillment.shipped"]
}

# Registered now, paused until the help desk is ready: enabled = false stops deliveries without deleting the
# webhook, and switching it back on later is an in-place update.
resource "sellfern_webhook" "support" {
  provider = webhooks

  url     = "https://hooks.example.com/sellfern/support"
  events  = ["ticket.created", "ticket.updated"]
  enabled = false
}

# Sellfern shows the signing secret only once, when the webhook is created. Pass it on to the service that
# receives the events: here as a sensitive output, better through a secret store (see "Handing the secret over").
output "sellfern_orders_signing_secret" {
  value     = sellfern_webhook.orders.secret
  sensitive = true
}
