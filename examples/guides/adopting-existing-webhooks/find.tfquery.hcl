# Every webhook of both accounts. Add a config block to a list block to narrow it down (see the list resources'
# pages for the filters).
list "sellfern_webhook" "sellfern" {
  provider = webhooks
}

list "selsup_webhook" "selsup" {
  provider = webhooks
}
