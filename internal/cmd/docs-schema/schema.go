package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// docsProviderName is the provider's type name, as tfplugindocs' --provider-name.
const docsProviderName = "webhooks"

// writeDocsSchema writes the schema tfplugindocs renders the docs from, taken from the provider as built and
// installed offline (tfplugindocs' own schema export builds the provider as hashicorp/<name> and needs the same
// Terraform init; doing it here keeps it offline, through the same mirror the tests install the provider from).
//
// tfplugindocs matches a template file to a schema by prepending the provider name: templates/resources/X.md.tmpl
// renders the schema named "webhooks_X". Our types are named after the service (sellfern_webhook, selsup_webhook),
// not the provider, so they would never match. The file written here therefore stores each resource and data source
// under "webhooks_" + its real name (resources, data sources, and on newer Terraform their identities, list
// resources and actions alike), and the provider under "webhooks" (the key tfplugindocs looks up). Nothing
// else changes: attributes and descriptions are Terraform's own output. The templates name the types themselves
// and embed their examples by path, so the prefix never reaches a page; `tfplugindocs validate` accepts the same
// file, since docs/resources/sellfern_webhook.md matches "webhooks_sellfern_webhook" by the same rule.
func writeDocsSchema(ctx context.Context, ws *tfrun.Workspace, dest string) error {
	if err := os.MkdirAll(ws.ConfigDir, 0o755); err != nil {
		return err
	}
	cfg := tfrun.RequiredProviders(docsProviderName)
	if err := os.WriteFile(filepath.Join(ws.ConfigDir, "main.tf"), []byte(cfg), 0o644); err != nil {
		return err
	}
	res, err := ws.Run(ctx, "init", "-no-color", "-input=false", "-backend=false")
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("terraform init failed:\n%s", res.Output)
	}
	res, err = ws.Run(ctx, "providers", "schema", "-json")
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("terraform providers schema -json failed:\n%s", res.Output)
	}
	out, err := docsSchema([]byte(res.Output))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dest, out, 0o644)
}

// docsSchema rewrites `terraform providers schema -json` output as writeDocsSchema describes.
func docsSchema(in []byte) ([]byte, error) {
	var all struct {
		FormatVersion   string                                `json:"format_version"`
		ProviderSchemas map[string]map[string]json.RawMessage `json:"provider_schemas"`
	}
	if err := json.Unmarshal(in, &all); err != nil {
		return nil, fmt.Errorf("reading terraform providers schema -json: %w", err)
	}
	var ours map[string]json.RawMessage
	for _, source := range tfrun.ProviderSources {
		if s, ok := all.ProviderSchemas[source]; ok {
			ours = s
			break
		}
	}
	if ours == nil {
		return nil, fmt.Errorf("terraform providers schema -json has no schema for %s", strings.Join(tfrun.ProviderSources, " or "))
	}
	// Every kind of schema named after a type; Terraform 1.14 adds list resources and actions, and resource
	// identities are stored under their resource's name.
	for _, kind := range []string{"resource_schemas", "data_source_schemas", "ephemeral_resource_schemas",
		"list_resource_schemas", "action_schemas", "resource_identity_schemas"} {
		raw, ok := ours[kind]
		if !ok {
			continue
		}
		var byName map[string]json.RawMessage
		if err := json.Unmarshal(raw, &byName); err != nil {
			return nil, fmt.Errorf("reading %s: %w", kind, err)
		}
		renamed := make(map[string]json.RawMessage, len(byName))
		for name, schema := range byName {
			if !strings.HasPrefix(name, docsProviderName+"_") {
				name = docsProviderName + "_" + name
			}
			renamed[name] = schema
		}
		out, err := json.Marshal(renamed)
		if err != nil {
			return nil, err
		}
		ours[kind] = out
	}
	all.ProviderSchemas = map[string]map[string]json.RawMessage{docsProviderName: ours}
	out, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
