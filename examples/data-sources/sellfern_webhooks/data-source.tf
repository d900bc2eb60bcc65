# Every webhook of the Sellfern account, managed by Terraform or not.
data "sellfern_webhooks" "all" {
  provider = webhooks
}

output "sellfern_webhook_urls" {
  value = { for w in data.sellfern_webhooks.all.webhooks : w.id => w.url }
}

# Find endpoints that still point at a retired host.
output "sellfern_webhooks_on_old_host" {
  value = [for w in data.sellfern_webhooks.all.webhooks : w.id if startswith(w.url, "https://old-hooks.example.com/")]
}
