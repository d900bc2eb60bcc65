# Recent deliveries to one webhook, newest first. For a webhook this configuration manages, use
# webhook_id = sellfern_webhook.orders.id.
data "sellfern_webhook_deliveries" "orders" {
  provider = webhooks

  webhook_id = "wh_abc123"
}

output "orders_failed_deliveries" {
  value = [
    for d in data.sellfern_webhook_deliveries.orders.deliveries :
    "${d.created_at} ${d.event}: HTTP ${d.status_code} ${d.error}" if !d.success
  ]
}

# Warn on plan and apply when the latest delivery failed (Terraform 1.5 or later).
check "orders_endpoint_healthy" {
  assert {
    condition     = try(data.sellfern_webhook_deliveries.orders.deliveries[0].success, true)
    error_message = "The latest Sellfern delivery to the orders endpoint failed."
  }
}
