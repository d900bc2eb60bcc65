# Import a Sellfern webhook by the id Sellfern assigned to it. Its signing secret cannot be imported: Sellfern
# returns it only when a webhook is created, so `secret` is null afterwards.
terraform import sellfern_webhook.orders wh_abc123
