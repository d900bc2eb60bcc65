resource "selsup_webhook" "orders" {
  provider = webhooks

  name            = "Заказы → склад" # any UTF-8 text
  url             = "https://hooks.example.com/selsup/orders"
  types           = ["CREATE_ORDER", "ORDER_STATUS"]
  organization_id = 42

  lifecycle {
    # SelSup cannot update a webhook: every change replaces it. Creating the new one before deleting the old one
    # means no event is missed; for a moment both exist and both receive events.
    create_before_destroy = true
  }
}
