// Command mlasim simulates cross-border requests for electronic evidence (mutual legal assistance and the
// 24/7 network under the UN Convention against Cybercrime and the Budapest Convention) as Temporal
// workflows. Run `mlasim --help` for the commands. The binary parses flags and calls the library
// (packages sim, stack, starter, rules, report); it holds no simulation logic of its own.
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mlasim/mlasim/internal/shutdown"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
)

// exitError carries an exit code: 2 for bad input, 1 for a failed run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: 2, err: err}
}

func main() {
	err := newRoot().ExecuteContext(shutdown.Context(5 * time.Second))
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "mlasim:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(1)
}

type globals struct {
	logLevel string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "mlasim",
		Short: "Simulate cross-border requests for electronic evidence on Temporal",
		Long: `mlasim simulates mutual legal assistance (MLA) and the 24/7 network for electronic evidence:
each request is a durable Temporal workflow that travels from a requesting State through a channel to a
requested State, which screens it against safeguard rules (each ground cited to its article, with the
confidence tag of its source), consults, decides, has a service provider execute it, and returns the
evidence, under legal clocks (60-day preservation, deadlines, emergencies).

Start with 'mlasim demo': it needs no Temporal install.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level of mlasim and the Temporal SDK (debug, info, warn, error)")
	root.AddCommand(newDemo(g), newDev(g), newWorker(g), newRun(g), newDecide(g), newScenarios(), newRules(), newBench(g), newCompare(), newCodec(), newSetup(g), newOfflineShard(), newTrain(g), newSweep(g))
	return root
}

// logger builds the zap logger for the chosen level, writing to stderr.
func (g *globals) logger() (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(g.logLevel)
	if err != nil {
		return nil, badInput(fmt.Errorf("--log-level: %w", err))
	}
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableStacktrace = true
	return cfg.Build()
}

// loadScenario loads the rule packs and a scenario: a file path, or the name of a built-in scenario.
func loadScenario(arg string) (*scenarios.Scenario, *rules.Engine, error) {
	engine, err := rules.LoadBuiltin()
	if err != nil {
		return nil, nil, badInput(err)
	}
	sc, err := scenarios.Open(arg, engine)
	return sc, engine, badInput(err)
}
