terraform {
  required_providers {
    sellfern = {
      source = "seed/webhooks"
    }
  }
}

data "sellfern_webhooks" "all" {} # no provider argument: the "sellfern" prefix finds it
