// Command clis prints the path of each CLI named on its command line (terraform-newest, tofu), building it first
// from its Go module, through the Go module proxy, into the user cache directory when it is not there yet; an
// environment variable per CLI (TERRAFORM_NEWEST_PATH, TOFU_PATH) names an installed binary to use instead. The
// Makefile asks it for the binaries of the test matrix; the versions are pinned in internal/tfrun (clis.go).
//
//	go run ./internal/cmd/clis terraform-newest tofu    # one path a line
//	go run ./internal/cmd/clis -list                    # each CLI's key, version and environment variable
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

func main() {
	list := flag.Bool("list", false, "list the CLIs, their pinned versions and environment variables, and build nothing")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: clis [-list] KEY...\nKEY is one of:")
		for _, c := range tfrun.CLIs {
			fmt.Fprintf(os.Stderr, " %s", c.Key)
		}
		fmt.Fprintln(os.Stderr)
		flag.PrintDefaults()
	}
	flag.Parse()
	if *list {
		for _, c := range tfrun.CLIs {
			fmt.Printf("%-17s %s %s (built from %s; %s names an installed binary instead)\n", c.Key, c.Product, c.Version, c.Module, c.Env)
		}
		return
	}
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	for _, key := range flag.Args() {
		c, ok := tfrun.LookupCLI(key)
		if !ok {
			fmt.Fprintf(os.Stderr, "clis: unknown CLI %q\n", key)
			flag.Usage()
			os.Exit(2)
		}
		// Progress goes to stderr: stdout carries only the paths, for the Makefile.
		path, err := c.Path(ctx, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "clis:", err)
			os.Exit(1)
		}
		fmt.Println(path)
	}
}
