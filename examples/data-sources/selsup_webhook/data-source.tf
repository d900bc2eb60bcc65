# Read one SelSup webhook by its id (SelSup's integer id, as a string).
data "selsup_webhook" "orders" {
  provider = webhooks

  id = "1042"
}

output "selsup_orders_url" {
  value = data.selsup_webhook.orders.url
}
