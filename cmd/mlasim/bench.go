package main

import (
	"fmt"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/mlasim/mlasim/devserver"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

func newBench(g *globals) *cobra.Command {
	var scenario string
	var limit, serverRequests int
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure requests per second and peak memory of the offline engine and the embedded server",
		Long: `bench runs a scenario (default: hanoi-stream, about 12,500 requests over a legal year) on the offline
engine and prints the wall time, requests per second and the process's peak memory; then it runs the first
--server-requests requests on the embedded Temporal server (in memory, headless) and prints the same.
Figures depend on the machine; run it where you mean to run the analysis.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			sc, engine, err := loadScenario(scenario)
			if err != nil {
				return err
			}
			in := sc.Input()
			if limit > 0 && limit < len(in.Requests) {
				in.Requests = in.Requests[:limit]
			}
			out := cmd.OutOrStdout()
			ctx := cmd.Context()
			t0 := time.Now()
			res, err := offline.Run(ctx, in, engine, offlineOptions())
			if err != nil {
				return err
			}
			d := time.Since(t0)
			fmt.Fprintf(out, "offline engine:  %d requests in %s = %.0f requests/s; peak memory of the process %s, of its largest shard process %s (shards of %d requests, %d at a time)\n",
				len(res.Results), d.Round(time.Millisecond), float64(len(res.Results))/d.Seconds(), peakRSS(), peakChildRSS(), shardSize, runtime.NumCPU())
			if serverRequests <= 0 {
				return nil
			}
			ports, err := devserver.FreePorts("127.0.0.1", 1)
			if err != nil {
				return err
			}
			sf := serverFlags{ip: "127.0.0.1", port: ports[0], headless: true}
			e, err := startEmbedded(ctx, sf, log.WithOptions(zap.IncreaseLevel(zap.ErrorLevel)), engine)
			if err != nil {
				return err
			}
			defer e.stop()
			small := sc.Input()
			if serverRequests < len(small.Requests) {
				small.Requests = small.Requests[:serverRequests]
			}
			// One legal day per 10 ms keeps a legal year within seconds of engine time.
			small.Clock.Scale = 86400 / 0.01
			t0 = time.Now()
			run, err := starter.Start(ctx, e.client, small)
			if err != nil {
				return err
			}
			var sres workflows.ScenarioResult
			if err := run.Get(ctx, &sres); err != nil {
				return err
			}
			d = time.Since(t0)
			fmt.Fprintf(out, "embedded server: %d requests in %s = %.0f requests/s (SQLite in memory, worker in process; the legal year takes %s of timers); peak memory of the process %s\n",
				len(sres.Results), d.Round(time.Millisecond), float64(len(sres.Results))/d.Seconds(), time.Duration(float64(365*24*time.Hour)/small.Clock.Scale), peakRSS())
			return nil
		},
	}
	cmd.Flags().StringVar(&scenario, "scenario", "hanoi-stream", "scenario to run (name or file)")
	cmd.Flags().IntVar(&limit, "requests", 0, "run only the first N requests offline (0: all)")
	cmd.Flags().IntVar(&serverRequests, "server-requests", 300, "requests to run on the embedded server (0: skip)")
	return cmd
}

// peakRSS is the process's peak resident memory.
func peakRSS() string { return maxRSS(syscall.RUSAGE_SELF) }

// peakChildRSS is the peak resident memory of the largest child process that has ended.
func peakChildRSS() string { return maxRSS(syscall.RUSAGE_CHILDREN) }

func maxRSS(who int) string {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return "unknown"
	}
	if ru.Maxrss == 0 {
		return "none"
	}
	return strconv.FormatInt(ru.Maxrss/1024, 10) + " MiB" // Linux reports kilobytes
}
