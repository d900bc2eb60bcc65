# Bump signing_secret_generation and apply: the new webhook, with a new secret, is made before the old one goes.
variable "signing_secret_generation" {
  description = "Bump to give the orders webhook a new signing secret."
  type        = number
  default     = 1
}

resource "sellfern_webhook" "orders" {
  provider = webhooks

  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed"]

  rotate_when_changed = {
    generation = var.signing_secret_generation
  }

  lifecycle {
    create_before_destroy = true
  }
}
