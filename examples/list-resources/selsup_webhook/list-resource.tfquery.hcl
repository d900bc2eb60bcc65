# Every webhook of the SelSup account. A list block names its provider, like every block whose type starts
# with "selsup_".
list "selsup_webhook" "all" {
  provider = webhooks
}

# Only the webhooks that pass every filter given: subscribed to ORDER_STATUS, for organization 42, and
# pointing at hooks.example.com.
list "selsup_webhook" "order_status" {
  provider = webhooks

  config {
    type            = "ORDER_STATUS"
    organization_id = 42
    url_prefix      = "https://hooks.example.com/"
  }
}

# The first ten webhooks by id, with their attributes in each result.
list "selsup_webhook" "first" {
  provider         = webhooks
  limit            = 10
  include_resource = true
}
