package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlasim/mlasim/codec"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/worker"
)

func newCodec() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "codec key|serve",
		Short: "Encrypt case facts at rest: make a key, serve the codec endpoint for the Temporal Web UI",
		Long: `With a key in MLASIM_CODEC_KEY ("ID:BASE64") or a key file named by MLASIM_CODEC_KEY_FILE (one
"ID BASE64" per line; the first encrypts, all decrypt), every mlasim client and worker encrypts each
Temporal payload with AES-256-GCM, the key's ID in the payload's metadata: the server stores ciphertext
only. Every process of a deployment needs the same key file. 'mlasim demo' and 'mlasim dev' then serve a
codec endpoint for their Web UI; on a cluster, 'mlasim codec serve' does, and the Web UI's codec
endpoint setting points at it.`,
	}
	cmd.AddCommand(&cobra.Command{
		Use: "key", Short: "Print a new random key as a key-file line, ID BASE64", Args: cobra.NoArgs,
		Long: `key prints a new random AES-256 key as one key-file line, "ID BASE64", the ID derived from the key.
Keep it in a file readable by mlasim's processes only and name it in MLASIM_CODEC_KEY_FILE; to rotate,
put the new line first and keep the old ones below it, so what they encrypted still reads.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			line, err := codec.NewKey()
			if err == nil {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			return err
		},
	})
	var addr, origin string
	serve := &cobra.Command{
		Use: "serve", Short: "Serve the codec endpoint (POST /encode, /decode) for the Temporal Web UI", Args: cobra.NoArgs,
		Long: `serve answers the Temporal Web UI's codec requests with the keys of MLASIM_CODEC_KEY_FILE or
MLASIM_CODEC_KEY, so a person at the UI reads the payloads the server stores encrypted. Set the UI's codec
endpoint to this address. Whoever reaches it can decrypt: keep --addr on loopback or behind your access
control; --ui-origin is the one origin its CORS answers allow.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return badInput(codec.Serve(cmd.Context(), addr, origin, cmd.OutOrStdout()))
		},
	}
	serve.Flags().StringVar(&addr, "addr", "127.0.0.1:8081", "where to listen: anyone who reaches it can decrypt")
	serve.Flags().StringVar(&origin, "ui-origin", "http://localhost:8080", "the Web UI's origin, allowed by CORS")
	cmd.AddCommand(serve)
	return cmd
}

func newSetup(g *globals) *cobra.Command {
	var retention time.Duration
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Make a Temporal cluster's namespace ready for mlasim: the namespace and the search attributes",
		Long: `setup connects to the cluster named by the TEMPORAL_* settings, registers the namespace if it is
missing and mlasim's search attributes, and exits: run it once on a new cluster, before the workers
(docker compose and deploy/cluster.sh do). It is safe to run again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			c, ns, addr, err := starter.Connect(worker.SDKLogger(log), cmd.ErrOrStderr())
			if err != nil {
				return badInput(err)
			}
			defer c.Close()
			if err := worker.Prepare(cmd.Context(), c, ns, retention, cmd.OutOrStdout()); err != nil {
				return badInput(fmt.Errorf("setting up the Temporal cluster at %s: %w", addr, err))
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&retention, "retention", 72*time.Hour, "how long a new namespace keeps closed workflows")
	return cmd
}
