# The public key the signing secret is sealed to: an age recipient (age-keygen prints it) or an SSH public key. It
# is not a secret; the private key stays with whoever opens the sealed secret, never in this configuration.
variable "signing_key_recipient" {
  description = "Public key to seal the orders webhook's signing secret to, like age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p."
  type        = string
}

resource "sellfern_webhook" "orders" {
  provider = webhooks

  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created", "order.status_changed"]

  # Only secret_sealed is stored: secret is null in the plan, in state and in every output.
  secret_recipients = [var.signing_key_recipient]

  lifecycle {
    create_before_destroy = true
  }
}

# Ciphertext, not sensitive: give it to a receiver that holds the private key and opens it itself.
output "orders_signing_secret_sealed" {
  value = sellfern_webhook.orders.secret_sealed
}
