# The webhooks this configuration manages, each under a name of your choosing. Those that exist already (made by
# hand, by scripts or by another tool) are found by their url in the account's list and imported; the others are
# created. Credentials come from SELLFERN_TOKEN and SELSUP_API_KEY.
terraform {
  required_version = ">= 1.11" # the oldest Terraform the provider supports; import blocks with for_each need 1.7

  required_providers {
    webhooks = {
      source = "seed/webhooks"
    }
  }
}

provider "webhooks" {}

locals {
  # Write each url as the service lists it (the sellfern_webhooks and selsup_webhooks data sources show them).
  sellfern_webhooks = {
    orders = {
      url    = "https://hooks.example.com/sellfern/orders"
      events = ["order.created", "order.status_changed"]
    }
    support = {
      url     = "https://hooks.example.com/sellfern/support"
      events  = ["ticket.created", "ticket.updated"]
      enabled = false
    }
  }

  selsup_webhooks = {
    orders = {
      name            = "Заказы → склад"
      url             = "https://hooks.example.com/selsup/orders"
      types           = ["CREATE_ORDER", "ORDER_STATUS"]
      organization_id = 42
    }
  }
}

resource "sellfern_webhook" "this" {
  provider = webhooks
  for_each = local.sellfern_webhooks

  url     = each.value.url
  events  = each.value.events
  enabled = try(each.value.enabled, true)
}

resource "selsup_webhook" "this" {
  provider = webhooks
  for_each = local.selsup_webhooks

  name            = try(each.value.name, null)
  url             = each.value.url
  types           = each.value.types
  organization_id = try(each.value.organization_id, null)
}

# What each account holds now, and the ids of its webhooks by url.
data "sellfern_webhooks" "existing" {
  provider = webhooks
}

data "selsup_webhooks" "existing" {
  provider = webhooks
}

locals {
  sellfern_ids = { for w in data.sellfern_webhooks.existing.webhooks : w.url => w.id... }
  selsup_ids   = { for w in data.selsup_webhooks.existing.webhooks : w.url => w.id... }
}

# One import per webhook above that exists already. Once a webhook is in state its import does nothing, so these
# blocks may stay; delete them when the migration is done.
import {
  for_each = { for name, w in local.sellfern_webhooks : name => local.sellfern_ids[w.url] if contains(keys(local.sellfern_ids), w.url) }
  provider = webhooks
  to       = sellfern_webhook.this[each.key]
  id       = one(each.value) # two webhooks with one url stop the plan here: import the right one by its id
}

import {
  for_each = { for name, w in local.selsup_webhooks : name => local.selsup_ids[w.url] if contains(keys(local.selsup_ids), w.url) }
  provider = webhooks
  to       = selsup_webhook.this[each.key]
  id       = one(each.value)
}

# Every plan warns of a webhook in either account that this configuration does not manage: add it above to adopt
# it. Remove this check if other configurations manage webhooks of the same accounts.
check "every_webhook_is_managed" {
  assert {
    condition     = length(local.unmanaged) == 0
    error_message = "Webhooks this configuration does not manage: ${join(", ", local.unmanaged)}. Add them to local.sellfern_webhooks or local.selsup_webhooks to adopt them."
  }
}

locals {
  unmanaged = concat(
    [for w in data.sellfern_webhooks.existing.webhooks : "Sellfern ${w.id} (${w.url})" if !contains([for v in values(local.sellfern_webhooks) : v.url], w.url)],
    [for w in data.selsup_webhooks.existing.webhooks : "SelSup ${w.id} (${w.url})" if !contains([for v in values(local.selsup_webhooks) : v.url], w.url)],
  )
}
