// Command terraform-provider-webhooks serves the webhooks provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/seed/terraform-provider-webhooks/internal/provider"
)

// version is set at build time (-ldflags "-X main.version=…") by the Makefile and GoReleaser.
var version = "dev"

// Format the examples and generate the docs; `go generate ./...` keeps docs/ in step with the schema.
//go:generate terraform fmt -recursive ./examples/
//go:generate go run ./internal/cmd/validate-examples -docs-schema bin/docs-schema.json
//go:generate go tool tfplugindocs generate --provider-name webhooks --providers-schema bin/docs-schema.json

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/seed/webhooks",
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
