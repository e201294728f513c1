package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/train"
	"github.com/mlasim/mlasim/worker"
)

func newTrain(g *globals) *cobra.Command {
	var sf serverFlags
	var addr string
	var onCluster bool
	cmd := &cobra.Command{
		Use:   "train SCENARIO",
		Short: "Serve a training session: a trainer's console and a seat per manual actor, in the browser",
		Long: `train runs a scenario as a training session. Each manual actor the scenario names (a role of a
State: requesting central authority, requested central authority, 24/7 point of contact) is a seat
that a trainee opens with its own link; the trainer opens the console with the trainer's link. Every
link carries an unguessable token, exchanged for a session cookie when it is opened.

The console shows the seats and who has joined, starts and ends the session, turns hints on or off per
seat, and shows every request as swimlanes per State in legal-time order with their citations, beside
the answer key and the ground truth, which no seat sees. A seat shows what reaches its State and role:
the request file, the screening's available and barred grounds with their citations, its State's
timeline, and a form for every decision the request waits for from it. Pages update live.

The legal clock holds for people: a request waiting for a trainee waits as long as the trainee takes,
and the answer takes the scenario's think budget of legal time.

By default the session runs on an embedded Temporal server (as 'mlasim demo' does); --cluster runs it
on the cluster named by the TEMPORAL_* settings, whose workers must be running. --addr sets where the
pages are served (127.0.0.1:8390 by default); any address that is not loopback makes the session
reachable from the network, and train warns about it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, engine, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return badInput(fmt.Errorf("--addr %s: %w", addr, err))
			}
			defer ln.Close()
			if !loopback(ln.Addr()) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is not a loopback address: anyone who can reach it and has a link can join the session\n", ln.Addr())
			}
			var c client.Client
			if onCluster {
				cl, ns, err := g.dial(cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer cl.Close()
				if err := worker.EnsureSearchAttributes(cmd.Context(), cl, ns); err != nil {
					return badInput(err)
				}
				c = cl
			} else {
				log, err := g.logger()
				if err != nil {
					return err
				}
				sf.opts.Headless = true
				s, err := sf.start(cmd.Context(), log, engine)
				if err != nil {
					return err
				}
				defer s.Stop()
				c = s.Client
			}
			session, err := train.NewSession(sc, &train.Temporal{Client: c, Engine: engine})
			if err != nil {
				return badInput(err)
			}
			return serveSession(cmd.Context(), out, ln, session)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8390", "address the training pages are served on")
	cmd.Flags().BoolVar(&onCluster, "cluster", false, "run on the cluster named by TEMPORAL_* (its workers must run) instead of an embedded server")
	return cmd
}

// serveSession serves a session's pages on ln until ctx ends, after printing the console's link and a
// line per seat.
func serveSession(ctx context.Context, out io.Writer, ln net.Listener, s *train.Session) error {
	h := train.NewServer(s, "http://"+ln.Addr().String())
	fmt.Fprintf(out, "%s\n\nconsole %s\n", s.Scenario().Title, h.JoinURL(s.TrainerToken()))
	for _, seat := range s.Seats() {
		fmt.Fprintf(out, "seat %s %s %s\n", seat.Role, seat.State, h.JoinURL(seat.Token))
	}
	fmt.Fprintln(out, "\nGive each trainee their seat's link. Press Ctrl-C to stop.")
	return h.Serve(ctx, ln, 500*time.Millisecond)
}

// loopback reports whether an address listens on the loopback interface only.
func loopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}
