// Package stack runs mlasim on one machine: the embedded Temporal server (SQLite, with the Web UI), a
// client and a worker, in one process. The demo, the dev server, the benchmark and the end-to-end tests all
// use it, so there is one way to stand it up.
package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/mlasim/mlasim/codec"
	"github.com/mlasim/mlasim/devserver"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

// Options configure the stack.
type Options struct {
	// StateDir holds the SQLite file (empty: in memory).
	StateDir string
	IP       string
	Port     int
	// AnyPort picks a free port for the frontend instead of Port.
	AnyPort  bool
	UIPort   int
	Headless bool
	// Rules are the packs the worker screens with.
	Rules *rules.Engine
	// Logger receives mlasim's and the SDK's log; the server's own log is kept to errors.
	Logger *zap.Logger
	// Keys, when set, encrypt every payload (package codec); the Web UI decrypts through a codec endpoint.
	Keys *codec.Keys
}

// Stack is a running embedded server with a client and a worker on it.
type Stack struct {
	Server *devserver.Server
	Client client.Client
	Worker sdkworker.Worker
}

// Start starts the embedded server, a client and a worker.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.AnyPort {
		ip := o.IP
		if ip == "" {
			ip = "127.0.0.1"
		}
		ports, err := devserver.FreePorts(ip, 1)
		if err != nil {
			return nil, err
		}
		o.Port = ports[0]
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		StateDir: o.StateDir, IP: o.IP, Port: o.Port, UIPort: o.UIPort, Headless: o.Headless,
		SearchAttributes: workflows.SearchAttributes, Keys: o.Keys, Logger: o.Logger.WithOptions(zap.IncreaseLevel(zap.ErrorLevel)).Named("temporal"),
	})
	if err != nil {
		return nil, err
	}
	s := &Stack{Server: srv}
	copts := client.Options{HostPort: srv.Address(), Namespace: "default", Logger: worker.SDKLogger(o.Logger)}
	codec.Apply(&copts, o.Keys)
	s.Client, err = client.Dial(copts)
	if err != nil {
		s.Stop()
		return nil, err
	}
	if err := worker.EnsureSearchAttributes(ctx, s.Client, "default"); err != nil {
		s.Stop()
		return nil, err
	}
	s.Worker = worker.New(s.Client, o.Rules, sdkworker.Options{})
	if err := s.Worker.Start(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops the worker, the client and the server.
func (s *Stack) Stop() {
	if s.Worker != nil {
		s.Worker.Stop()
	}
	if s.Client != nil {
		s.Client.Close()
	}
	if s.Server != nil {
		s.Server.Stop()
	}
}

// Describe says where the server, its state, the Web UI and the worker are.
func (s *Stack) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Temporal server  %s (namespace default)\n", s.Server.Address())
	if db := s.Server.DatabaseFile(); db != "" {
		fmt.Fprintf(&b, "State            %s (a restart resumes running requests)\n", db)
	} else {
		b.WriteString("State            in memory (lost on exit)\n")
	}
	if ui := s.Server.UIAddress(); ui != "" {
		fmt.Fprintf(&b, "Web UI           %s/namespaces/default/workflows\n", ui)
	}
	if c := s.Server.CodecAddress(); c != "" {
		fmt.Fprintf(&b, "Codec endpoint   %s (payloads are encrypted; the Web UI decrypts them here)\n", c)
	}
	b.WriteString("Worker           task queue " + workflows.TaskQueue + "\n")
	return b.String()
}

// Guard returns a context that ends when ctx does or when the embedded server stops on a storage fault,
// and a function that returns that fault (nil if there was none), so a command ends with the fault itself
// instead of with the timeouts and refused connections it causes.
func (s *Stack) Guard(ctx context.Context) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case err := <-s.Server.Faults():
			cancel(err)
		case <-ctx.Done():
		}
	}()
	return ctx, func() error {
		var f *devserver.StorageFault
		if err := context.Cause(ctx); errors.As(err, &f) {
			return f
		}
		return nil
	}
}
