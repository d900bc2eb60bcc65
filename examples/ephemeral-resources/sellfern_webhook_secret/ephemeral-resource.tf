variable "signing_key_recipient" {
  description = "Public key the orders webhook's signing secret is sealed to (age-keygen -y KEYFILE prints it)."
  type        = string
}

# The private key, such as the contents of an age key file, set from a secret store at each run
# (TF_VAR_signing_key_identity): ephemeral, so Terraform keeps it out of state and plan files.
variable "signing_key_identity" {
  description = "Private key of signing_key_recipient, as an age key file holds it."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "receiver_secret_file" {
  description = "The file the receiver on this host reads its signing secret from."
  type        = string
}

resource "sellfern_webhook" "orders" {
  provider = webhooks

  url               = "https://hooks.example.com/sellfern/orders"
  events            = ["order.created", "order.status_changed"]
  secret_recipients = [var.signing_key_recipient]

  lifecycle {
    create_before_destroy = true
  }
}

# Opened in memory for this run only: its secret is in no state or plan file.
ephemeral "sellfern_webhook_secret" "orders" {
  provider = webhooks

  sealed   = sellfern_webhook.orders.secret_sealed
  identity = var.signing_key_identity
}

# Hands the secret to the receiver when the webhook is created, and again whenever a replacement brings a new one.
# The secret is in the command's environment only, and Terraform hides the output of a provisioner that uses it.
resource "terraform_data" "orders_receiver_secret" {
  triggers_replace = sellfern_webhook.orders.secret_sealed

  provisioner "local-exec" {
    command = "umask 077 && printf '%s' \"$SIGNING_SECRET\" > \"$SECRET_FILE\""
    environment = {
      SIGNING_SECRET = ephemeral.sellfern_webhook_secret.orders.secret
      SECRET_FILE    = var.receiver_secret_file
    }
  }
}
