package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer/lockstore"
)

func newLockCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "lock",
		Short: "Work with the lock when the manifest keeps it in S3 (lock: {s3: ...})",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usagef("lock needs a subcommand: layerctl lock pull")
		},
	}
	c.AddCommand(&cobra.Command{
		Use:   "pull",
		Short: "Write the S3 lock to layerctl.lock beside the manifest, for committing",
		Long: `Pull reads the lock the manifest keeps in S3 (lock: {s3: s3://BUCKET/KEY}),
which the jobs of a CI matrix write, and writes it to layerctl.lock beside
the manifest (in the file's turn, only when it changed), so that the
repository records what is published where.`,
		Example: `  layerctl lock pull && git add layerctl.lock && git commit -m "layers: lock"`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return lockPullRun(c.Context(), f)
		},
	})
	return c
}

func lockPullRun(ctx context.Context, f *Factory) error {
	m, err := loadManifest(f)
	if err != nil {
		return err
	}
	if m.Lock.S3 == nil {
		return usagef("%v", lockstore.ErrNoS3Lock)
	}
	clients, err := awsClients(ctx, f)
	if err != nil {
		return err
	}
	p, err := lockstore.Pull(ctx, m, lockClient(m, clients), func(pid int) { waitingForLock(f, m.LockPath(), pid) })
	if errors.Is(err, lockstore.ErrNoS3Lock) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	if f.Globals.JSON() {
		return output.JSON(f.Out, struct {
			Path    string `json:"path"`
			From    string `json:"from"`
			Layers  int    `json:"layers"`
			Written bool   `json:"written"`
		}{p.Path, p.From, p.Layers, p.Written})
	}
	if p.Written {
		fmt.Fprintf(f.Out, "wrote %s (%d layers) from %s\n", p.Path, p.Layers, p.From)
	} else {
		fmt.Fprintf(f.Out, "%s already holds %s (%d layers)\n", p.Path, p.From, p.Layers)
	}
	return nil
}
