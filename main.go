// Command terraform-provider-webhooks serves the webhooks provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/seed/terraform-provider-webhooks/internal/provider"
)

// version is set at build time (-ldflags "-X main.version=…") by the Makefile and GoReleaser.
var version = "dev"

// Format the examples and generate the docs; `go generate ./...` keeps docs/ in step with the schema.
//go:generate terraform fmt -recursive ./examples/
//go:generate go run ./internal/cmd/docs-schema -cli terraform-newest -out bin/docs-schema.json
//go:generate go tool tfplugindocs generate --provider-name webhooks --providers-schema bin/docs-schema.json

func main() {
	quietUnlessTerraformShowsLogs()

	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.NewServed(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/seed/webhooks",
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietUnlessTerraformShowsLogs turns the plugin SDK's and this provider's logging off when Terraform will not show
// it. The SDK logs every RPC at TRACE whatever TF_LOG says, and Terraform parses each line only to drop it: that
// was 30% of a no-change plan's time (BENCHMARKS.md). With TF_LOG or TF_LOG_PROVIDER set, nothing changes; an
// explicit TF_LOG_SDK or TF_LOG_PROVIDER_WEBHOOKS is always respected.
func quietUnlessTerraformShowsLogs() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER_WEBHOOKS"} {
		if _, set := os.LookupEnv(name); !set {
			_ = os.Setenv(name, "off")
		}
	}
}
