// Command layerctl builds, publishes and attaches AWS Lambda layers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/layerctl/layerctl/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C asks commands to stop cleanly (attach lets the
		// updates in flight finish); after it, a second one quits at once.
		<-ctx.Done()
		stop()
	}()
	code := cmd.Execute(ctx, os.Args[1:], cmd.System())
	stop()
	os.Exit(code)
}
