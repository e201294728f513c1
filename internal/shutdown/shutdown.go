// Package shutdown turns Ctrl-C and SIGTERM into a cancelled context, and ends the process if the work
// does not stop within a grace period, so every command stops within seconds whatever it is doing.
package shutdown

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Context returns a context cancelled by the first SIGINT or SIGTERM. A second signal, or the grace
// period passing after the first, ends the process with exit code 130.
func Context(grace time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
		select {
		case <-signals:
		case <-time.After(grace):
		}
		fmt.Fprintln(os.Stderr, "mlasim: stopped without finishing (interrupted)")
		os.Exit(130)
	}()
	return ctx
}
