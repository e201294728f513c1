package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// hold is the trainer's pause of a training run as the Scenario and Case workflows keep it: while the
// legal clock is paused no request is sent, and once it resumes every start comes later by the time it
// stood still, so a request is sent at the same legal moment as without the pause. Requests keep their
// own clocks (SignalClock reaches them from the session).
type hold struct {
	// on: this run keeps the pause (a training run, since changeTrainingPause).
	on     bool
	paused bool
	since  time.Time
	// total is the engine time the clock stood still, pauses before this one.
	total time.Duration
	// changed tells the run that the pause began or ended.
	changed func(ctx workflow.Context, paused bool)
}

// keepHold makes a training run take the trainer's pause: it receives SignalClock and calls changed
// on every change. total is the time the clock stood still in earlier runs, since the moment it was
// paused when an earlier run continued as new (zero: running). Other runs, and training runs started
// before changeTrainingPause, keep no hold.
func keepHold(ctx workflow.Context, training bool, total time.Duration, since time.Time, changed func(workflow.Context, bool)) *hold {
	h := &hold{total: total, changed: changed}
	if !training || workflow.GetVersion(ctx, changeTrainingPause, workflow.DefaultVersion, 1) != 1 {
		return h
	}
	h.on = true
	h.paused, h.since = !since.IsZero(), since
	ch := workflow.GetSignalChannel(ctx, SignalClock)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var c ClockSignal
			ch.Receive(ctx, &c)
			if h.set(workflow.Now(ctx), c.Paused) && h.changed != nil {
				h.changed(ctx, c.Paused)
			}
		}
	})
	return h
}

// set records a pause or a resumption at engine time now, and reports whether it changed anything.
func (h *hold) set(now time.Time, paused bool) bool {
	switch {
	case paused && !h.paused:
		h.paused, h.since = true, now
	case !paused && h.paused:
		h.paused = false
		h.total += now.Sub(h.since)
	default:
		return false
	}
	return true
}

// pausedSince is when the standing pause began (zero: the clock runs).
func (h *hold) pausedSince() time.Time {
	if h.paused {
		return h.since
	}
	return time.Time{}
}

// sleepUntil waits, in a run that keeps the hold, until the engine time at() (which moves with the
// pauses), and not while paused.
func (h *hold) sleepUntil(ctx workflow.Context, at func() time.Time) error {
	for {
		if err := workflow.Await(ctx, func() bool { return !h.paused }); err != nil {
			return err
		}
		left := at().Sub(workflow.Now(ctx))
		if left <= 0 {
			return nil
		}
		if _, err := workflow.AwaitWithTimeout(ctx, left, func() bool { return h.paused }); err != nil {
			return err
		}
	}
}
