# Create, then verify: a test event after every create and update; the apply fails unless the endpoint answers 2xx.
terraform {
  required_version = ">= 1.16" # for caller.id; on Terraform 1.14 and 1.15 write sellfern_webhook.orders.id
  required_providers {
    webhooks = { source = "seed/webhooks" }
  }
}

resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/sellfern/orders"
  events   = ["order.created", "order.status_changed"]

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
    webhook_id = caller.id # the webhook that triggered the action
  }
}
