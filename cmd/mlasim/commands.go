package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/mlasim/mlasim/devserver"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

// serverFlags are the flags of the commands that start the embedded server.
type serverFlags struct {
	stateDir string
	ip       string
	port     int
	uiPort   int
	headless bool
}

func (f *serverFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.stateDir, "state-dir", ".mlasim", "folder of the SQLite file that keeps workflows across restarts (empty: in memory)")
	cmd.Flags().StringVar(&f.ip, "ip", "127.0.0.1", "address the server and Web UI listen on")
	cmd.Flags().IntVar(&f.port, "port", 7233, "port of the Temporal frontend (gRPC)")
	cmd.Flags().IntVar(&f.uiPort, "ui-port", 8233, "port of the Temporal Web UI")
	cmd.Flags().BoolVar(&f.headless, "headless", false, "run without the Web UI")
}

// embedded is a running embedded server with a client and a worker on it.
type embedded struct {
	server *devserver.Server
	client client.Client
	worker sdkworker.Worker
}

func (e *embedded) stop() {
	if e.worker != nil {
		e.worker.Stop()
	}
	if e.client != nil {
		e.client.Close()
	}
	if e.server != nil {
		e.server.Stop()
	}
}

// startEmbedded starts the embedded server, a client and a worker using the given rule engine.
func startEmbedded(ctx context.Context, f serverFlags, log *zap.Logger, engine *rules.Engine) (*embedded, error) {
	serverLog := log.WithOptions(zap.IncreaseLevel(zap.ErrorLevel)).Named("temporal")
	srv, err := devserver.Start(ctx, devserver.Options{
		StateDir: f.stateDir, IP: f.ip, Port: f.port, UIPort: f.uiPort, Headless: f.headless,
		SearchAttributes: workflows.SearchAttributes, Logger: serverLog,
	})
	if err != nil {
		return nil, err
	}
	e := &embedded{server: srv}
	e.client, err = client.Dial(client.Options{HostPort: srv.Address(), Namespace: "default", Logger: worker.SDKLogger(log)})
	if err != nil {
		e.stop()
		return nil, err
	}
	if err := worker.EnsureSearchAttributes(ctx, e.client, "default"); err != nil {
		e.stop()
		return nil, err
	}
	e.worker = worker.New(e.client, engine, sdkworker.Options{})
	if err := e.worker.Start(); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *embedded) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Temporal server  %s (namespace default)\n", e.server.Address())
	if db := e.server.DatabaseFile(); db != "" {
		fmt.Fprintf(&b, "State            %s (a restart resumes running requests)\n", db)
	} else {
		b.WriteString("State            in memory (lost on exit)\n")
	}
	if ui := e.server.UIAddress(); ui != "" {
		fmt.Fprintf(&b, "Web UI           %s/namespaces/default/workflows\n", ui)
	}
	b.WriteString("Worker           task queue " + workflows.TaskQueue + "\n")
	return b.String()
}

func newDemo(g *globals) *cobra.Command {
	var sf serverFlags
	var scenario string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the demo scenario on an embedded Temporal server, with the Web UI",
		Long: `demo starts an embedded Temporal server (SQLite, kept in --state-dir so a restart resumes where it
stopped), the Temporal Web UI, and a worker, then runs the built-in demo scenario and prints each
request's lifecycle as it happens: legal time, request, status, State, actor, what happened, and the
articles it rests on with their confidence tags ([P] verbatim text, [S] secondary source, [U]
unconfirmed).

With the Web UI it keeps running after the scenario ends, so you can browse the requests, until Ctrl-C.
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
			ctx := cmd.Context()
			e, err := startEmbedded(ctx, sf, log, engine)
			if err != nil {
				return err
			}
			defer e.stop()
			out := cmd.OutOrStdout()
			fmt.Fprint(out, e.describe())
			fmt.Fprintf(out, "\n%s\n%s\n\n", sc.Title, sc.Briefing)
			res, err := runAndFollow(ctx, e.client, sc, out, true)
			if err != nil {
				if ctx.Err() != nil {
					return interrupted(sf)
				}
				return err
			}
			mismatches := starter.Summary(out, res)
			finalErr := starter.AllFinal(res)
			if !sf.headless {
				fmt.Fprintf(out, "\nBrowse the requests in the Web UI: %s/namespaces/default/workflows\n", e.server.UIAddress())
				fmt.Fprintf(out, "Filter them, e.g.: Status=\"Refused\" or RequestedState=\"PT\". Press Ctrl-C to stop.\n")
				<-ctx.Done()
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
	return cmd
}

func interrupted(sf serverFlags) error {
	if sf.stateDir != "" {
		return fmt.Errorf("interrupted: running requests are kept in %s and resume with 'mlasim dev'", sf.stateDir)
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
			e, err := startEmbedded(cmd.Context(), sf, log, engine)
			if err != nil {
				return err
			}
			defer e.stop()
			fmt.Fprint(cmd.OutOrStdout(), e.describe())
			fmt.Fprintln(cmd.OutOrStdout(), "Running; press Ctrl-C to stop.")
			<-cmd.Context().Done()
			fmt.Fprintln(cmd.OutOrStdout(), "stopping")
			return nil
		},
	}
	sf.add(cmd)
	return cmd
}

// dialConfigured connects to the cluster named by the standard TEMPORAL_* settings (and the Temporal
// CLI's config file), as the `temporal` CLI does.
func dialConfigured(log *zap.Logger) (client.Client, string, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, "", badInput(fmt.Errorf("reading the Temporal client settings: %w", err))
	}
	opts.Logger = worker.SDKLogger(log)
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	c, err := client.Dial(opts)
	if err != nil {
		addr := opts.HostPort
		if addr == "" {
			addr = client.DefaultHostPort
		}
		return nil, "", fmt.Errorf("connecting to Temporal at %s: %w (start one with 'mlasim dev', or set TEMPORAL_ADDRESS)", addr, err)
	}
	return c, opts.Namespace, nil
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
			engine, err := packSet(packs, false)
			if err != nil {
				return err
			}
			c, ns, err := dialConfigured(log)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := worker.EnsureSearchAttributes(cmd.Context(), c, ns); err != nil {
				log.Warn("could not register search attributes; queries on them may fail", zap.Error(err))
			}
			w := worker.New(c, engine, sdkworker.Options{})
			fmt.Fprintf(cmd.OutOrStdout(), "mlasim worker on namespace %s, task queue %s, %d rules loaded\n", ns, workflows.TaskQueue, engine.RuleCount())
			stop := make(chan any)
			go func() {
				<-cmd.Context().Done()
				close(stop)
			}()
			return w.Run(stop)
		},
	}
	cmd.Flags().StringSliceVar(&packs, "packs", nil, "extra rule pack files or folders")
	return cmd
}

func runAndFollow(ctx context.Context, c client.Client, sc *scenarios.Scenario, out interface{ Write([]byte) (int, error) }, live bool) (workflows.ScenarioResult, error) {
	run, err := starter.Start(ctx, c, sc.Input())
	if err != nil {
		return workflows.ScenarioResult{}, err
	}
	if live {
		fmt.Fprintf(out, "scenario run %s started\n\n", run.GetID())
		return (&starter.Follower{Client: c, Out: out}).Follow(ctx, run)
	}
	var res workflows.ScenarioResult
	err = run.Get(ctx, &res)
	return res, err
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
			log, err := g.logger()
			if err != nil {
				return err
			}
			k, err := mla.ParseDecision(kind)
			if err != nil {
				return badInput(err)
			}
			u.Kind = k
			c, _, err := dialConfigured(log)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: args[0], UpdateName: workflows.UpdateDecide, Args: []any{u}, WaitForStage: client.WorkflowUpdateStageCompleted,
			})
			if err != nil {
				return badInput(fmt.Errorf("decision rejected: %w", err))
			}
			var ack string
			if err := h.Get(ctx, &ack); err != nil {
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
	cmd.Flags().StringVar(&u.PostponeFor, "postpone-for", "", "legal duration of a postponement, e.g. 30d")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}

func newScenarios(g *globals) *cobra.Command {
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
			for _, n := range scenarios.Names() {
				sc, err := scenarios.Builtin(n, engine)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-26s %6d requests  %s\n", n, len(sc.Requests), sc.Title)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&schema, "schema", false, "print the JSON Schema of scenario files")
	return cmd
}
