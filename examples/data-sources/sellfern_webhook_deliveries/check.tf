# Warn on every plan and apply when the latest delivery to the orders endpoint failed. The data source is inside
# the check block, so that a read that fails is a warning too, not an error that stops the run.
resource "sellfern_webhook" "orders" {
  provider = webhooks

  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed"]
}

check "orders_endpoint_healthy" {
  data "sellfern_webhook_deliveries" "health" {
    provider = webhooks

    webhook_id = sellfern_webhook.orders.id
  }

  assert {
    # The latest delivery, if there is one, was answered with 2xx.
    condition = try(
      data.sellfern_webhook_deliveries.health.deliveries[0].status_code >= 200 &&
      data.sellfern_webhook_deliveries.health.deliveries[0].status_code < 300,
      true,
    )
    error_message = "The latest delivery to the orders endpoint failed (status code 0: the endpoint was not reached)."
  }
}
