package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/workflows"
)

// shardSize is how many requests a child process runs offline. The SDK's test environment keeps every
// environment it used in memory, so a large scenario is run in child processes that exit.
var shardSize = 800

// offlineOptions returns options that shard large runs across child processes of this binary.
func offlineOptions() offline.Options {
	return offline.Options{Shard: runShardProcess, ShardSize: shardSize}
}

func runShardProcess(ctx context.Context, in workflows.ScenarioInput) (workflows.ScenarioResult, error) {
	var res workflows.ScenarioResult
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	input, err := json.Marshal(in)
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, self, "offline-shard")
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("offline shard: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	err = json.Unmarshal(stdout.Bytes(), &res)
	return res, err
}

// newOfflineShard is the hidden command a child process runs: a scenario input on stdin, its results on
// stdout.
func newOfflineShard() *cobra.Command {
	return &cobra.Command{
		Use:    "offline-shard",
		Short:  "Run a shard of a scenario offline (used by mlasim itself)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in workflows.ScenarioInput
			if err := json.NewDecoder(cmd.InOrStdin()).Decode(&in); err != nil {
				return badInput(fmt.Errorf("shard input: %w", err))
			}
			engine, err := rules.LoadBuiltin()
			if err != nil {
				return badInput(err)
			}
			res, err := offline.Run(cmd.Context(), in, engine, offline.Options{})
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
		},
	}
}
