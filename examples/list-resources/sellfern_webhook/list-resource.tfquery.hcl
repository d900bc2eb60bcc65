# Every webhook of the Sellfern account. A list block names its provider, like every block whose type starts
# with "sellfern_".
list "sellfern_webhook" "all" {
  provider = webhooks
}

# Only the webhooks that pass every filter given: subscribed to order.created, delivering, and pointing at
# hooks.example.com.
list "sellfern_webhook" "orders" {
  provider = webhooks

  config {
    event      = "order.created"
    enabled    = true
    url_prefix = "https://hooks.example.com/"
  }
}

# The first ten paused webhooks, oldest first, with their attributes in each result.
list "sellfern_webhook" "paused" {
  provider         = webhooks
  limit            = 10
  include_resource = true

  config {
    enabled = false
  }
}
