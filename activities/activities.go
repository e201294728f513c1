// Package activities holds mlasim's side effects as Temporal activities: transmission over a channel,
// screening against the rule packs, and execution of orders by a (simulated) service provider whose
// faults come from the scenario.
package activities

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/workflows"
)

// Activities holds the dependencies of mlasim's activities.
type Activities struct {
	Rules *rules.Engine

	mu      sync.Mutex
	engines map[[32]byte]*rules.Engine // engines with a scenario's own packs, by content hash
}

// New returns the activities backed by a compiled rule engine.
func New(engine *rules.Engine) *Activities {
	return &Activities{Rules: engine, engines: map[[32]byte]*rules.Engine{}}
}

// engineFor returns the engine for a screening: the worker's own, or one compiled once with the
// scenario's packs added.
func (a *Activities) engineFor(packs map[string][]byte) (*rules.Engine, error) {
	if len(packs) == 0 {
		return a.Rules, nil
	}
	h := sha256.New()
	for _, k := range mla.SortedKeys(packs) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(packs[k])
		h.Write([]byte{0})
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.engines[key]; ok {
		return e, nil
	}
	e, err := a.Rules.With(packs)
	if err != nil {
		return nil, err
	}
	a.engines[key] = e
	return e, nil
}

// Transmit sends a message over a channel and returns its transport receipt. The reference is derived
// from the request, so reruns of a scenario give the same timeline.
func (a *Activities) Transmit(ctx context.Context, in workflows.TransmitInput) (workflows.Receipt, error) {
	if in.From == "" || in.To == "" {
		return workflows.Receipt{}, temporal.NewNonRetryableApplicationError("transmission needs a sender and a recipient", "BadTransmission", nil)
	}
	ref := fmt.Sprintf("%s:%s:%s>%s:%s", in.Channel, in.What, in.From, in.To, in.RequestID)
	activity.GetLogger(ctx).Debug("transmitted", "reference", ref)
	return workflows.Receipt{Reference: ref, Text: fmt.Sprintf("%s sent %s to %s over the %s channel (ref %s)", in.From, in.What, in.To, in.Channel, ref)}, nil
}

// Screen evaluates the instrument packs that apply and the requested State's policy pack.
func (a *Activities) Screen(ctx context.Context, in workflows.ScreenInput) (mla.Screening, error) {
	engine, err := a.engineFor(in.Packs)
	if err != nil {
		return mla.Screening{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadPack", err)
	}
	s, err := engine.Screen(in.Facts, in.Policy)
	if err != nil {
		// A rule that fails to evaluate is a bug in a pack or the facts, not a passing fault.
		return s, temporal.NewNonRetryableApplicationError(err.Error(), "ScreeningError", err)
	}
	return s, nil
}

// ExecuteOrder has the service provider execute an order. A call fails with the scenario's failure rate,
// decided by the seed and the attempt number, so the same scenario fails the same calls on every engine;
// the retry policy retries it.
func (a *Activities) ExecuteOrder(ctx context.Context, in workflows.OrderInput) (workflows.OrderResult, error) {
	attempt := int(activity.GetInfo(ctx).Attempt)
	if in.Provider.FailureRate > 0 && mla.Chance(in.Seed, fmt.Sprintf("%s/provider/%d", in.RequestID, attempt)) < in.Provider.FailureRate {
		// An injected fault is part of the scenario, not a malfunction: benign errors are logged quietly.
		return workflows.OrderResult{Attempt: attempt}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("%s did not answer (attempt %d)", in.Provider.Label(), attempt), workflows.ProviderUnavailable,
			temporal.ApplicationErrorOptions{Category: temporal.ApplicationErrorCategoryBenign})
	}
	return workflows.OrderResult{Evidence: evidenceOf(in), Attempt: attempt}, nil
}

func evidenceOf(in workflows.OrderInput) string {
	data := in.DataKind
	if data == "" {
		data = "stored"
	}
	switch {
	case in.Kind == mla.KindPreservation:
		return fmt.Sprintf("%s preserved the %s data", in.Provider.Label(), data)
	case in.NonCoercive:
		return fmt.Sprintf("%s gave voluntarily disclosable %s information only (no coercive measure)", in.Provider.Label(), data)
	case in.Kind == mla.KindRealTime:
		return fmt.Sprintf("%s collected traffic data in real time", in.Provider.Label())
	case in.Kind == mla.KindInterception:
		return fmt.Sprintf("%s intercepted content data", in.Provider.Label())
	default:
		return fmt.Sprintf("%s produced the %s data", in.Provider.Label(), data)
	}
}
