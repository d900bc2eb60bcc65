# Recent deliveries to one webhook, newest first. For a webhook this configuration manages, use
# webhook_id = sellfern_webhook.orders.id.
data "sellfern_webhook_deliveries" "orders" {
  provider = webhooks

  webhook_id = "wh_abc123"
}

# A delivery failed when the endpoint answered anything but 2xx (0: it could not be reached).
output "orders_failed_deliveries" {
  value = [
    for d in data.sellfern_webhook_deliveries.orders.deliveries :
    "${d.created_at} ${d.event}: HTTP ${d.status_code} ${d.error}" if d.status_code < 200 || d.status_code > 299
  ]
}
