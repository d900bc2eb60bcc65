# Leaving scripts: the Sellfern orders webhook was made by a script that a terraform_data resource ran, and that
# resource would delete the webhook when destroyed. Forget it without destroying anything (its destroy-time
# provisioner does not run); the webhook itself is imported into sellfern_webhook.this["orders"] in the same apply.
# A generic REST provider's resource (restapi_object, for instance) is left the same way.
removed {
  from = terraform_data.sellfern_orders_script

  lifecycle {
    destroy = false
  }
}
