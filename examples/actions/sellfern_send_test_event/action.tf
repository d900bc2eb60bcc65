# Create, then verify: after the webhook is created, and again after every update, Sellfern sends it a test event.
# The apply fails if the endpoint does not answer 2xx.
resource "sellfern_webhook" "orders" {
  provider = webhooks

  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed"]

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.sellfern_send_test_event.orders]
    }
  }
}

action "sellfern_send_test_event" "orders" {
  provider = webhooks

  config {
    # The webhook that triggered the action (Terraform 1.16 and later; on 1.14 and 1.15 write
    # sellfern_webhook.orders.id). Run it by hand, too:
    #   terraform apply -invoke=action.sellfern_send_test_event.orders
    webhook_id = caller.id
  }
}
