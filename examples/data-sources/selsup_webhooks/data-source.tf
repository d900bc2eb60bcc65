# Every webhook of the SelSup account, managed by Terraform or not, by ascending id.
data "selsup_webhooks" "all" {
  provider = webhooks
}

output "selsup_webhooks_by_name" {
  value = { for w in data.selsup_webhooks.all.webhooks : w.id => coalesce(w.name, w.url) }
}
