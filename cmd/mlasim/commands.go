package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/mlasim/mlasim/codec"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/sim"
	"github.com/mlasim/mlasim/stack"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/train"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

// serverFlags are the flags of the commands that start the embedded server.
type serverFlags struct{ opts stack.Options }

func (f *serverFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.opts.StateDir, "state-dir", ".mlasim", "folder of the SQLite file that keeps workflows across restarts (empty: in memory)")
	cmd.Flags().StringVar(&f.opts.IP, "ip", "127.0.0.1", "address the server and Web UI listen on")
	cmd.Flags().IntVar(&f.opts.Port, "port", 7233, "port of the Temporal frontend (gRPC)")
	cmd.Flags().IntVar(&f.opts.UIPort, "ui-port", 8233, "port of the Temporal Web UI")
	cmd.Flags().BoolVar(&f.opts.Headless, "headless", false, "run without the Web UI")
}

func (f *serverFlags) start(ctx context.Context, log *zap.Logger, engine *rules.Engine) (*stack.Stack, error) {
	keys, err := codec.FromEnv()
	if err != nil {
		return nil, badInput(err)
	}
	o := f.opts
	o.Logger, o.Rules, o.Keys = log, engine, keys
	return stack.Start(ctx, o)
}

func newDemo(g *globals) *cobra.Command {
	var sf serverFlags
	var scenario, pageAddr string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the demo scenario on an embedded Temporal server, with the Web UI",
		Long: `demo starts an embedded Temporal server (SQLite, kept in --state-dir so a restart resumes where it
stopped), the Temporal Web UI, and a worker, then runs the built-in demo scenario and prints each
request's lifecycle as it happens: legal time, request, status, State, actor, what happened, and the
articles it rests on with their confidence tags ([P] verbatim text, [S] secondary source, [U]
unconfirmed).

Without --headless it also serves a lifecycle page (--page-addr, 127.0.0.1:8390 by default): every
request as swimlanes per State in legal-time order, each step with its citations, beside the answer key,
updated live. With the Web UI it keeps running after the scenario ends, so you can browse the requests,
until Ctrl-C.
With --headless it exits once every request has reached a final state: 0 if all did and matched the
scenario's answer key, 1 otherwise.`,
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
			out := cmd.OutOrStdout()
			s, err := sf.start(cmd.Context(), log, engine)
			if err != nil {
				return err
			}
			defer s.Stop()
			ctx, fault := s.Guard(cmd.Context())
			fmt.Fprintf(out, "%s\n%s\n%s\n\n", s.Describe(), sc.Title, starter.Wrap(sc.Briefing))
			cluster := sim.Cluster{Client: s.Client, Live: out}
			if !sf.opts.Headless {
				page, err := lifecyclePage(ctx, pageAddr, sc, s.Client)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "Lifecycle page (every request as swimlanes per State, live): %s\n\n", page.url)
				cluster.Started = page.backend.Attach
			}
			mismatches, finalErr := sim.Demo(ctx, cluster, sc)
			if err := fault(); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return interrupted(sf)
			}
			if !sf.opts.Headless {
				fmt.Fprintf(out, "\nBrowse the requests in the Web UI: %s/namespaces/default/workflows\n", s.Server.UIAddress())
				fmt.Fprintf(out, "Filter them, e.g.: Status=\"Refused\" or RequestedState=\"PT\". Press Ctrl-C to stop.\n")
				<-ctx.Done()
				if err := fault(); err != nil {
					return err
				}
			}
			if finalErr != nil {
				return finalErr
			}
			if mismatches > 0 {
				return fmt.Errorf("%d requests differ from the answer key", mismatches)
			}
			return nil
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&scenario, "scenario", "demo", "scenario to run: a built-in name or a file")
	cmd.Flags().StringVar(&pageAddr, "page-addr", "127.0.0.1:8390", "address of the lifecycle page (not with --headless)")
	return cmd
}

// page is a lifecycle page being served.
type page struct {
	url     string
	backend *train.Temporal
}

// lifecyclePage serves, until ctx ends, the read-only swimlanes of a run that starts later: attach it
// to the page's backend.
func lifecyclePage(ctx context.Context, addr string, sc *scenarios.Scenario, c client.Client) (page, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return page{}, badInput(fmt.Errorf("--page-addr %s: %w", addr, err))
	}
	backend := &train.Temporal{Client: c}
	session := train.NewObserver(sc, backend)
	url := "http://" + ln.Addr().String()
	go func() { _ = train.NewServer(session, url).Serve(ctx, ln, 500*time.Millisecond) }()
	return page{url: url + "/", backend: backend}, nil
}

// interrupted says that Ctrl-C stopped the run, and where the running requests are kept.
func interrupted(sf serverFlags) error {
	if sf.opts.StateDir != "" {
		return fmt.Errorf("interrupted: running requests are kept in %s and resume with 'mlasim dev'", sf.opts.StateDir)
	}
	return errors.New("interrupted")
}

func newDev(g *globals) *cobra.Command {
	var sf serverFlags
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the embedded Temporal server, the Web UI and a worker until Ctrl-C",
		Long: `dev starts the embedded Temporal server (SQLite in --state-dir), the Web UI and an mlasim worker, and
keeps them running until Ctrl-C. Requests still running from an earlier session resume from the SQLite
file. Start scenarios on it from another terminal with 'mlasim run FILE'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			engine, err := rules.LoadBuiltin()
			if err != nil {
				return badInput(err)
			}
			s, err := sf.start(cmd.Context(), log, engine)
			if err != nil {
				return err
			}
			defer s.Stop()
			fmt.Fprint(cmd.OutOrStdout(), s.Describe())
			fmt.Fprintln(cmd.OutOrStdout(), "Running; press Ctrl-C to stop.")
			ctx, fault := s.Guard(cmd.Context())
			<-ctx.Done()
			if err := fault(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "stopping")
			return nil
		},
	}
	sf.add(cmd)
	return cmd
}

// dial connects to the cluster named by the standard TEMPORAL_* settings.
func (g *globals) dial(say io.Writer) (client.Client, string, error) {
	log, err := g.logger()
	if err != nil {
		return nil, "", err
	}
	c, ns, err := starter.Dial(worker.SDKLogger(log), say)
	return c, ns, badInput(err) // a cluster that cannot be reached or lacks the namespace: exit 2
}

func newWorker(g *globals) *cobra.Command {
	var packs []string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run an mlasim worker against any Temporal cluster",
		Long: `worker connects to a Temporal cluster through the standard client settings (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the config file the temporal
CLI uses), registers mlasim's search attributes if they are missing, and runs workflows and activities
on task queue "mlasim" until Ctrl-C. Run as many as you need.

--packs adds rule packs (files or folders) to the built-in ones; a pack with an error stops the worker
before it connects, so a bad pack never reaches a running workflow.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			engine, err := rules.LoadPacks(packs, true)
			if err != nil {
				return badInput(err)
			}
			c, ns, err := starter.Dial(worker.SDKLogger(log), cmd.ErrOrStderr())
			if err != nil {
				return badInput(err)
			}
			defer c.Close()
			return worker.Run(cmd.Context(), c, ns, engine, log, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringSliceVar(&packs, "packs", nil, "extra rule pack files or folders")
	return cmd
}

func newDecide(g *globals) *cobra.Command {
	var u workflows.DecisionUpdate
	var kind string
	cmd := &cobra.Command{
		Use:   "decide WORKFLOW-ID",
		Short: "Send a person's decision to a request waiting for one (a manual actor)",
		Long: `decide sends the decision of a requested central authority or 24/7 point of contact played by a person
to a request waiting for it (its status is AwaitingDecision). The workflow checks the decision before
accepting it: a refusal, postponement or partial grant must name a ground that the screening found
available and no instrument bars; otherwise it is rejected with the reason and nothing changes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if u.Kind, err = mla.ParseDecision(kind); err != nil {
				return badInput(err)
			}
			c, _, err := g.dial(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer c.Close()
			ack, err := starter.Decide(cmd.Context(), c, args[0], u)
			if err != nil {
				return badInput(fmt.Errorf("decision rejected: %w", err))
			}
			fmt.Fprintln(cmd.OutOrStdout(), ack)
			return nil
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "grant, partial, grant-with-conditions, postpone or refuse")
	cmd.Flags().StringSliceVar(&u.Grounds, "ground", nil, "ground the decision rests on (repeatable)")
	cmd.Flags().StringVar(&u.Reasons, "reasons", "", "reasons given to the requesting State")
	cmd.Flags().StringVar(&u.By, "by", "", "who decides (shown in the timeline)")
	cmd.Flags().TextVar(&u.PostponeFor, "postpone-for", mla.Duration(0), "legal duration of a postponement, e.g. 30d")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}

func newScenarios() *cobra.Command {
	var schema bool
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios, or print the JSON Schema of scenario files",
		Long: `scenarios lists the built-in scenario library. --schema prints the JSON Schema of scenario files, for
editors that validate YAML (for example with a "# yaml-language-server: $schema=scenario.schema.json" line).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if schema {
				_, err := cmd.OutOrStdout().Write(scenarios.Schema)
				return err
			}
			engine, err := rules.LoadBuiltin()
			if err != nil {
				return badInput(err)
			}
			return scenarios.List(cmd.OutOrStdout(), engine)
		},
	}
	cmd.Flags().BoolVar(&schema, "schema", false, "print the JSON Schema of scenario files")
	return cmd
}

// newOfflineShard is the hidden command a shard process runs: a scenario input on stdin, its results on
// stdout.
func newOfflineShard() *cobra.Command {
	return &cobra.Command{
		Use:    sim.ShardCommand,
		Short:  "Run a shard of a scenario offline (used by mlasim itself)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			engine, err := rules.LoadBuiltin()
			if err != nil {
				return badInput(err)
			}
			batchGC()
			return sim.ServeShard(cmd.Context(), engine, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}

// offlineEngine is the offline engine, running large scenarios in shard processes of this binary;
// shardSize is how many requests a shard process runs: above a world-year of hanoi-stream, which runs in
// one process, since a shard process costs its start and its own copy of the rules and scenario. The
// process collects garbage as a batch job's should (batchGC).
func offlineEngine(engine *rules.Engine) sim.Offline {
	batchGC()
	return sim.ShardedOffline(engine, shardSize)
}

var shardSize = 20000

// batchGC has the process collect garbage when its heap grows to five times what it keeps (GOGC=400), not
// twice, within a soft limit of 768 MiB (GOMEMLIMIT). The offline engine allocates about 110 KB a request
// and keeps about 7 KB, its result: hanoi-stream then peaks near 685 MiB instead of about 460, for about
// 23% less CPU (mlasim bench, run in turn with and without: 294-298 against 383-389 µs a request). A
// GOGC or GOMEMLIMIT the user sets wins.
func batchGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(batchMemoryLimit)
}

const batchMemoryLimit = 768 << 20
