# Import a SelSup webhook by its integer id.
terraform import selsup_webhook.orders 1042
