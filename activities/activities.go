// Package activities holds mlasim's side effects as Temporal activities, with their input and output
// types: transmission over a channel, screening against the rule packs, and execution of orders by a
// (simulated) service provider whose faults come from the scenario. Workflows call them through a typed
// *Activities, so the compiler checks every argument and result.
package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
)

// Activities holds the dependencies of mlasim's activities.
type Activities struct {
	// Rules are the worker's compiled packs; Packs adds the packs of scenarios that bring their own.
	Rules *rules.Engine
	Packs *PackStore
	// Client, when set, lets Watch ask the cluster about workflows.
	Client client.Client

	plans planCache
}

// New returns the activities backed by a compiled rule engine.
func New(engine *rules.Engine) *Activities {
	return &Activities{Rules: engine, Packs: NewPackStore(engine)}
}

// TransmitInput sends a request or evidence over a channel.
type TransmitInput struct {
	RequestID string          `json:"request_id"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	Channel   mla.Channel     `json:"channel"`
	Kind      mla.RequestKind `json:"kind"`
	// What is sent: "request", "evidence", "information", "answer".
	What string `json:"what"`
}

// Receipt is the transport acknowledgement of a transmission.
type Receipt struct {
	Reference string `json:"reference"`
	Text      string `json:"text"`
}

// Transmit sends a message over a channel and returns its transport receipt. The reference is derived
// from the request, so reruns of a scenario give the same timeline.
func (a *Activities) Transmit(ctx context.Context, in TransmitInput) (Receipt, error) {
	r, err := TransmitReceipt(in)
	if err == nil {
		activity.GetLogger(ctx).Debug("transmitted", "reference", r.Reference)
	}
	return r, err
}

// TransmitReceipt is what Transmit returns: a function of its input alone, which the offline engine's
// workflows call in process (mla.Clock.InProcess).
func TransmitReceipt(in TransmitInput) (Receipt, error) {
	if in.From == "" || in.To == "" {
		return Receipt{}, temporal.NewNonRetryableApplicationError("transmission needs a sender and a recipient", "BadTransmission", nil)
	}
	// Joined, not formatted: these run for every message of every request.
	ref := string(in.Channel) + ":" + in.What + ":" + in.From + ">" + in.To + ":" + in.RequestID
	return Receipt{Reference: ref, Text: in.From + " sent " + in.What + " to " + in.To + " over the " + string(in.Channel) + " channel (ref " + ref + ")"}, nil
}

// ScreenInput asks the requested State to screen a request against its rule packs and policy.
type ScreenInput struct {
	Facts  mla.Facts `json:"facts"`
	Policy string    `json:"policy"`
	// PackSet names the scenario's own packs, screened with the worker's built-in ones.
	PackSet PackRef `json:"pack_set,omitzero"`
	// Packs carries a scenario's own packs inline: what requests started by earlier versions send.
	Packs map[string][]byte `json:"packs,omitempty"`
	// SkipTags leaves out the rules of these confidence tags.
	SkipTags []mla.Tag `json:"skip_tags,omitempty"`
}

// Screen evaluates the instrument packs that apply and the requested State's policy pack.
func (a *Activities) Screen(ctx context.Context, in ScreenInput) (mla.Screening, error) {
	engine, err := a.engineFor(ctx, in)
	if err != nil {
		return mla.Screening{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadPack", err)
	}
	s, err := engine.ScreenWithout(ctx, in.Facts, in.Policy, in.SkipTags)
	if err != nil {
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		// A rule that fails to evaluate (or costs more than the limit) is a fault of a pack or the
		// facts, not a passing one: retrying would fail the same way.
		return s, temporal.NewNonRetryableApplicationError(err.Error(), "ScreeningError", err)
	}
	return s, nil
}

func (a *Activities) engineFor(ctx context.Context, in ScreenInput) (*rules.Engine, error) {
	switch {
	case len(in.Packs) > 0:
		hash, err := a.Packs.Add(in.Packs)
		if err != nil {
			return nil, err
		}
		return a.Packs.Engine(ctx, PackRef{Hash: hash})
	case in.PackSet.Hash != "":
		return a.Packs.Engine(ctx, in.PackSet)
	}
	return a.Rules, nil
}

// OrderInput asks the service provider to execute an order (produce, preserve, collect).
type OrderInput struct {
	RequestID string          `json:"request_id"`
	Kind      mla.RequestKind `json:"kind"`
	DataKind  string          `json:"data_kind"`
	Provider  mla.Provider    `json:"provider"`
	Seed      int64           `json:"seed"`
	// NonCoercive limits execution to what needs no coercive measure (partial grant).
	NonCoercive bool `json:"non_coercive"`
	// Parts are the measures granted, when the request seeks several: each is executed, and the
	// evidence names each.
	Parts []mla.Part `json:"parts,omitempty"`
	// Attempt is the simulated attempt, counted by the workflow (zero: Temporal's retries count, as for
	// requests started before the workflow counted them).
	Attempt int `json:"attempt,omitempty"`
}

// OrderResult is the provider's answer: the evidence, or (Failed) that it did not answer this attempt.
type OrderResult struct {
	Evidence string `json:"evidence"`
	Attempt  int    `json:"attempt"`
	Failed   bool   `json:"failed,omitempty"`
}

// ProviderUnavailable is the error type of a failed provider call; it is retried.
const ProviderUnavailable = "ProviderUnavailable"

// ExecuteOrder has the service provider execute an order. An attempt fails with the scenario's failure
// rate, decided by the seed and the attempt number, so the same scenario fails the same attempts on every
// engine.
func (a *Activities) ExecuteOrder(ctx context.Context, in OrderInput) (OrderResult, error) {
	if in.Attempt > 0 {
		return ProviderAnswer(in), nil
	}
	attempt := int(activity.GetInfo(ctx).Attempt)
	if in.Provider.FailureRate > 0 && mla.Chance(in.Seed, providerKey(in.RequestID, attempt)) < float64(in.Provider.FailureRate) {
		// An injected fault is part of the scenario, not a malfunction: benign errors are logged quietly.
		return OrderResult{Attempt: attempt}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("%s did not answer (attempt %d)", in.Provider.Label(), attempt), ProviderUnavailable,
			temporal.ApplicationErrorOptions{Category: temporal.ApplicationErrorCategoryBenign})
	}
	return OrderResult{Evidence: evidenceOf(in), Attempt: attempt}, nil
}

// ProviderAnswer is the provider's answer to an attempt the workflow counts (in.Attempt > 0), what
// ExecuteOrder returns for it: a simulated fault is an answer, and a retry of Temporal's own (a timeout,
// a lost worker) draws the same attempt again. It is a function of its input alone, which the offline
// engine's workflows call in process (mla.Clock.InProcess).
func ProviderAnswer(in OrderInput) OrderResult {
	if in.Provider.FailureRate > 0 && mla.Chance(in.Seed, providerKey(in.RequestID, in.Attempt)) < float64(in.Provider.FailureRate) {
		return OrderResult{Attempt: in.Attempt, Failed: true}
	}
	return OrderResult{Evidence: evidenceOf(in), Attempt: in.Attempt}
}

// providerKey names the draw of a provider's answer to one attempt.
func providerKey(requestID string, attempt int) string {
	return requestID + "/provider/" + strconv.Itoa(attempt)
}

func evidenceOf(in OrderInput) string {
	if len(in.Parts) > 0 {
		var each []string
		for _, p := range in.Parts {
			each = append(each, evidenceOf(OrderInput{Kind: p.Measure.Kind, DataKind: p.Measure.DataKind, Provider: in.Provider, NonCoercive: p.NonCoercive}))
		}
		return strings.Join(each, "; ")
	}
	data := in.DataKind
	if data == "" {
		data = "stored"
	}
	provider := in.Provider.Label()
	switch {
	case in.Kind == mla.KindPreservation:
		return provider + " preserved the " + data + " data"
	case in.Kind == mla.KindDomainName:
		return provider + " found the information that identifies or contacts the domain's registrant"
	case in.NonCoercive:
		return provider + " gave voluntarily disclosable " + data + " information only (no coercive measure)"
	case in.Kind == mla.KindRealTime:
		return provider + " collected traffic data in real time"
	case in.Kind == mla.KindInterception:
		return provider + " intercepted content data"
	default:
		return provider + " produced the " + data + " data"
	}
}
