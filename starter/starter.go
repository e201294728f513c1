// Package starter starts scenarios on a Temporal cluster, follows their requests live, and collects the
// results: the client side of mlasim.
package starter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/mlasim/mlasim/codec"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

// Input is the Scenario workflow input of a loaded scenario.
func Input(sc *scenarios.Scenario) workflows.ScenarioInput { return workflows.NewScenarioInput(sc) }

// Run is a run of a scenario on a cluster.
type Run struct {
	Client   client.Client
	Scenario *scenarios.Scenario
	run      client.WorkflowRun
}

// MaxWindow is the most cases a Scenario workflow may run at once: as many as a run starts before it
// continues as new. A wider window makes each run carry more cases than it started, which it can only
// watch by asking the cluster about each: hanoi-stream with a window of 2,000 on the embedded server
// ended 64 requests in its first 5 min 50 s, against 1,471 in 4 min 52 s with 500 and 921 in 5 min with
// 200.
const MaxWindow = 500

// Options are the choices of a run that are not the scenario's.
type Options struct {
	// Window is how many cases the Scenario workflow runs at once: 0 keeps the workflow's default
	// (workflows.DefaultWindow), at most MaxWindow. Cases start at their time in the scenario while the
	// window has room, so a run of long requests goes as fast as the window lets it; a cluster with more
	// workers can take a wider one. Outcomes do not depend on it: each request keeps its own legal clock.
	Window int
}

// Check says what is wrong with the options, naming the flag that sets them.
func (o Options) Check() error {
	if o.Window < 0 || o.Window > MaxWindow {
		return fmt.Errorf("--window must be between 1 and %d cases (0: the default of %d), not %d", MaxWindow, workflows.DefaultWindow, o.Window)
	}
	return nil
}

// Start starts a run of the scenario. Each run gets its own workflow ID, so a scenario can run many times
// on one cluster.
func Start(ctx context.Context, c client.Client, sc *scenarios.Scenario) (*Run, error) {
	return StartWith(ctx, c, sc, Options{})
}

// StartWith starts a run of the scenario with the given options.
func StartWith(ctx context.Context, c client.Client, sc *scenarios.Scenario, o Options) (*Run, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	in := Input(sc)
	in.Window = o.Window
	id := workflows.ScenarioWorkflowID(in.ID, uuid.NewString()[:8])
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue, StaticSummary: in.Title,
		TypedSearchAttributes: scenarioAttributes(in.ID),
	}, workflows.ScenarioWorkflow, in)
	if err != nil {
		return nil, err
	}
	return &Run{Client: c, Scenario: sc, run: run}, nil
}

// Attach returns a run of the scenario started earlier, by its workflow ID (for example after a restart).
func Attach(ctx context.Context, c client.Client, sc *scenarios.Scenario, workflowID string) *Run {
	return &Run{Client: c, Scenario: sc, run: c.GetWorkflow(ctx, workflowID, "")}
}

// ID is the scenario run's workflow ID.
func (r *Run) ID() string { return r.run.GetID() }

// RequestWorkflowID is the workflow ID of one of the run's requests.
func (r *Run) RequestWorkflowID(requestID string) string {
	return workflows.RequestWorkflowID(r.run.GetID(), requestID)
}

// Progress asks the scenario run how far it is.
func (r *Run) Progress(ctx context.Context) (workflows.Progress, error) {
	var p workflows.Progress
	v, err := r.Client.QueryWorkflow(ctx, r.run.GetID(), "", workflows.QueryProgress)
	if err == nil {
		err = v.Get(&p)
	}
	return p, err
}

// fetchers is how many requests' outcomes are fetched at once.
const fetchers = 16

// Results waits for every request of the run and returns their outcomes in scenario order, each fetched
// from its own workflow, telling progress how many have ended. A request whose workflow failed or was
// terminated is an engine failure, with the error.
func (r *Run) Results(ctx context.Context, progress func(done, total int)) (workflows.ScenarioResult, error) {
	reqs := r.Scenario.Requests
	res := workflows.ScenarioResult{ID: r.Scenario.ID, Title: r.Scenario.Title, Results: make([]mla.Outcome, len(reqs))}
	scenarioDone := make(chan error, 1)
	go func() {
		// Only the run's end counts: an error of the call itself (the cluster did not answer in time, say)
		// is asked again, or every request not yet started would pass for one the run never started.
		for {
			var sr workflows.ScenarioResult
			err := r.run.Get(ctx, &sr)
			if err == nil || isWorkflowFailure(err) || ctx.Err() != nil {
				scenarioDone <- err
				return
			}
			time.Sleep(time.Second)
		}
	}()
	var scenarioErr error
	var mu sync.Mutex
	done, ended := 0, 0 // outcomes fetched, requests the scenario run counts as ended
	report := func() {  // with mu held
		if progress != nil {
			progress(max(done, ended), len(reqs))
		}
	}
	// Outcomes are fetched in scenario order, so one long request holds the count back: the scenario
	// run's own count of ended requests moves the progress meanwhile.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		for t := time.NewTicker(time.Second); ; {
			select {
			case <-watchCtx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			if p, err := r.Progress(watchCtx); err == nil {
				mu.Lock()
				ended = p.Done
				report()
				mu.Unlock()
			}
		}
	}()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(fetchers, len(reqs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res.Results[i] = r.outcome(ctx, reqs[i], func() error {
					mu.Lock()
					defer mu.Unlock()
					return scenarioErr
				})
				mu.Lock()
				done++
				report()
				mu.Unlock()
			}
		}()
	}
	go func() {
		err := <-scenarioDone
		if err == nil {
			err = errors.New("it had ended")
		}
		mu.Lock()
		scenarioErr = err
		mu.Unlock()
	}()
	for i := range reqs {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// outcome fetches one request's outcome, waiting for its workflow to start and end. ended reports that
// the scenario run has ended (and how): a request it never started is then an engine failure.
func (r *Run) outcome(ctx context.Context, p mla.Planned, ended func() error) mla.Outcome {
	id := r.RequestWorkflowID(p.Request.ID)
	for ctx.Err() == nil {
		var o mla.Outcome
		err := r.Client.GetWorkflow(ctx, id, "").Get(ctx, &o)
		var nf *serviceerror.NotFound
		switch {
		case err == nil:
			return o
		case errors.As(err, &nf):
			if e := ended(); e != nil {
				// The scenario may have ended just after starting it: look once more.
				if err := r.Client.GetWorkflow(ctx, id, "").Get(ctx, &o); err == nil {
					return o
				} else if !errors.As(err, &nf) {
					continue
				}
				return engineFailure(p, id, fmt.Errorf("the scenario run never started it (%w)", e))
			}
			time.Sleep(250 * time.Millisecond) // not started yet
		case isWorkflowFailure(err):
			return engineFailure(p, id, err)
		default:
			time.Sleep(time.Second) // the cluster did not answer: ask again
		}
	}
	return engineFailure(p, id, ctx.Err())
}

func isWorkflowFailure(err error) bool {
	var we *temporal.WorkflowExecutionError
	var te *temporal.TerminatedError
	var ce *temporal.CanceledError
	var to *temporal.TimeoutError
	var ae *temporal.ApplicationError
	return errors.As(err, &we) || errors.As(err, &te) || errors.As(err, &ce) || errors.As(err, &to) || errors.As(err, &ae)
}

func engineFailure(p mla.Planned, id string, err error) mla.Outcome {
	r := p.Request
	return mla.Outcome{RequestID: r.ID, WorkflowID: id, Title: r.Title, Kind: r.Kind, From: r.From, To: r.To,
		Channel: r.Channel, Basis: p.Basis.Basis, Status: mla.StatusFailed, EngineError: err.Error()}
}

// Follower prints the requests' timeline events while a scenario runs, in legal-time order across
// requests: an event is held for Hold after it is seen, so one seen a little later but earlier in legal
// time (another request's, polled later) still prints before it.
type Follower struct {
	Out io.Writer
	// Every is the polling interval (default 250ms); Hold, how long an event waits for earlier ones
	// (default 4 intervals).
	Every, Hold time.Duration

	mu      sync.Mutex
	printed map[string]int
	pending []pendingEvent
	seq     int
}

type pendingEvent struct {
	request string
	e       mla.Event
	seen    time.Time
	seq     int // the order it was seen, which keeps one request's events in their order
}

// Follow prints events as they happen until every request of the run has ended, then returns the
// outcomes.
func (f *Follower) Follow(ctx context.Context, r *Run) (workflows.ScenarioResult, error) {
	if f.Every == 0 {
		f.Every = 250 * time.Millisecond
	}
	if f.Hold == 0 {
		f.Hold = 4 * f.Every
	}
	f.printed = map[string]int{}
	type result struct {
		res workflows.ScenarioResult
		err error
	}
	got := make(chan result, 1)
	go func() {
		res, err := r.Results(ctx, nil)
		got <- result{res, err}
	}()
	t := time.NewTicker(f.Every)
	defer t.Stop()
	for {
		select {
		case g := <-got:
			for _, o := range g.res.Results {
				f.add(o.RequestID, o.Timeline)
			}
			f.flush(time.Time{})
			return g.res, g.err
		case now := <-t.C:
			for _, p := range r.Scenario.Requests {
				var tl []mla.Event
				v, err := r.Client.QueryWorkflow(ctx, r.RequestWorkflowID(p.Request.ID), "", workflows.QueryTimeline)
				if err == nil && v.Get(&tl) == nil {
					f.add(p.Request.ID, tl)
				}
			}
			f.flush(now.Add(-f.Hold))
		}
	}
}

// add queues a request's events not seen before.
func (f *Follower) add(requestID string, tl []mla.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for _, e := range tl[min(f.printed[requestID], len(tl)):] {
		f.seq++
		f.pending = append(f.pending, pendingEvent{requestID, e, now, f.seq})
	}
	f.printed[requestID] = max(f.printed[requestID], len(tl))
}

// flush prints, in legal-time order, the held events seen before the cut-off (all of them when the
// cut-off is zero), and keeps the rest.
func (f *Follower) flush(before time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	slices.SortStableFunc(f.pending, func(a, b pendingEvent) int {
		if c := a.e.At.Compare(b.e.At); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	// Print from the start while the events are old enough; the first one still held keeps every later
	// one (in legal time) waiting with it.
	n := 0
	for n < len(f.pending) && (before.IsZero() || f.pending[n].seen.Before(before)) {
		fmt.Fprintln(f.Out, FormatEvent(f.pending[n].request, f.pending[n].e))
		n++
	}
	f.pending = f.pending[n:]
}

// LineWidth is the width timeline lines are wrapped to, so they read in a terminal of that size.
const LineWidth = 100

// FormatEvent renders one timeline event: legal time, request, status, State and actor, then what
// happened (on the same line when it fits, else below), wrapped to LineWidth with the continuation
// indented, and its citations below.
func FormatEvent(requestID string, e mla.Event) string {
	head := fmt.Sprintf("%s  %-24s %-20s %-3s %-12s ", e.At.Format("2006-01-02 15:04"), requestID, e.Status, e.State, shortActor(e.Actor))
	indent := strings.Repeat(" ", 18)
	var b strings.Builder
	if len(head)+len(e.Text) <= LineWidth {
		b.WriteString(head + e.Text)
	} else {
		b.WriteString(strings.TrimRight(head, " "))
		for _, l := range wrap(e.Text, LineWidth-len(indent), LineWidth-len(indent)) {
			b.WriteString("\n" + indent + l)
		}
	}
	if len(e.Citations) > 0 {
		b.WriteString(formatCitations(e.Citations, indent))
	}
	return b.String()
}

// formatCitations lists citations under an event, "cites: " first. Lines break between citations; only
// a citation longer than a whole line breaks inside, at a space.
func formatCitations(cs []mla.Citation, indent string) string {
	const label = "cites: "
	pad := strings.Repeat(" ", len(label))
	width := LineWidth - len(indent) - len(label)
	var lines []string
	line := ""
	for _, c := range cs {
		s := c.String()
		switch {
		case line != "" && len(line)+2+len(s)+1 <= width: // room for the ";" a break adds
			line += "; " + s
			continue
		case line != "":
			lines = append(lines, line+";")
		}
		parts := wrap(s, width, width)
		lines = append(lines, parts[:len(parts)-1]...)
		line = parts[len(parts)-1]
	}
	lines = append(lines, line)
	var b strings.Builder
	for i, l := range lines {
		lead := pad
		if i == 0 {
			lead = label
		}
		b.WriteString("\n" + indent + lead + l)
	}
	return b.String()
}

// shortActor names an actor in a dozen characters.
func shortActor(a mla.Actor) string {
	switch a {
	case mla.ActorRequestingCA:
		return "requesting"
	case mla.ActorRequestedCA:
		return "requested"
	case mla.ActorPoC247:
		return "24/7 contact"
	case mla.ActorJudge:
		return "judge"
	case mla.ActorProvider:
		return "provider"
	}
	return string(a)
}

// Wrap breaks text at spaces into lines of at most LineWidth columns, for the terminal.
func Wrap(text string) string { return strings.Join(wrap(text, LineWidth, LineWidth), "\n") }

// wrap breaks text at spaces into lines of at most first characters, then rest (a word longer than a
// line stays whole).
func wrap(text string, first, rest int) []string {
	var lines []string
	width := max(first, 20)
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line, width = w, max(rest, 20)
		}
	}
	return append(lines, line)
}

// Summary renders the outcome of every request, checked against the scenario's answer key (truth, by
// request ID). It returns the number of requests that do not match the key.
func Summary(w io.Writer, res workflows.ScenarioResult, truth map[string]mla.Truth) int {
	fmt.Fprintf(w, "\n%s — %s\n\n", res.ID, res.Title)
	// The table fits LineWidth: the grounds, each with its citation, and any difference from the answer
	// key go on the lines below a request's row.
	fmt.Fprintf(w, "%-24s %-7s %-16s %-8s %-18s %-10s %s\n", "REQUEST", "PAIR", "KIND", "BASIS", "STATUS", "LEGAL TIME", "ANSWER KEY")
	mismatches := 0
	for _, r := range res.Results {
		key, why := "-", ""
		if e := truth[r.RequestID].Expected; e != nil {
			var ok bool
			if ok, why = e.Met(r); ok {
				key = "as expected"
			} else {
				key = "DIFFERS"
				mismatches++
			}
		}
		took := "-"
		if !r.Closed.IsZero() {
			took = mla.FormatLegalDuration(r.Closed.Sub(r.Sent))
		}
		status := string(r.Status)
		if r.EngineFailed() {
			status = "ENGINE FAILURE"
		}
		fmt.Fprintf(w, "%-24s %-7s %-16s %-8s %-18s %-10s %s\n", r.RequestID, r.From+"→"+r.To, r.Kind, r.Basis, status, took, key)
		if why != "" {
			fmt.Fprintf(w, "%26s answer key: %s\n", "", why)
		}
		if g := r.DecidedGrounds(); len(g) > 0 {
			fmt.Fprintf(w, "%26s grounds: %s\n", "", strings.Join(g, ", "))
		}
		for _, c := range r.Grounds {
			fmt.Fprintf(w, "%26s %s\n", "", c)
		}
		if r.DeadlineMet != nil {
			fmt.Fprintf(w, "%26s deadline met: %v\n", "", *r.DeadlineMet)
		}
		if r.Onward != nil {
			fmt.Fprintf(w, "%26s onward preservation in %s: %s\n", "", r.Onward.To, r.Onward.Status)
		}
		if r.EngineFailed() {
			fmt.Fprintf(w, "%26s %s\n", "", r.EngineError)
		}
	}
	counts := map[mla.Status]int{}
	failures := 0
	for _, r := range res.Results {
		if r.EngineFailed() {
			failures++
			continue
		}
		counts[r.Status]++
	}
	var parts []string
	for _, s := range mla.SortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
	}
	fmt.Fprintf(w, "\n%d requests: %s\n", len(res.Results), strings.Join(parts, ", "))
	if failures > 0 {
		fmt.Fprintf(w, "engine failures: %d (not outcomes: the engine could not run them)\n", failures)
	}
	return mismatches
}

// AllFinal reports whether every request reached a final status, and none failed in the engine.
func AllFinal(res workflows.ScenarioResult) error {
	var bad []string
	for _, r := range res.Results {
		if r.EngineFailed() {
			bad = append(bad, r.RequestID+" (engine failure: "+r.EngineError+")")
			continue
		}
		if !r.Status.Final() {
			bad = append(bad, r.RequestID+" ("+string(r.Status)+")")
		}
	}
	if len(bad) > 0 {
		return errors.New("requests not in a final state: " + strings.Join(bad, ", "))
	}
	return nil
}

func encrypted(k *codec.Keys) string {
	if k == nil {
		return ""
	}
	return ", payloads encrypted with key " + k.Current
}

func scenarioAttributes(id string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(workflows.SAScenario.ValueSet(id))
}

// Dial connects to the cluster named by the standard TEMPORAL_* settings (and the Temporal CLI's config
// file), as the `temporal` CLI does, checks that the namespace exists, and returns the client and its
// namespace. With a key in MLASIM_CODEC_KEY or MLASIM_CODEC_KEY_FILE the client encrypts every payload
// (package codec).
func Dial(logger sdklog.Logger, say io.Writer) (client.Client, string, error) {
	c, ns, addr, err := Connect(logger, say)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err != nil {
		c.Close()
		var nf *serviceerror.NamespaceNotFound
		if errors.As(err, &nf) {
			return nil, "", fmt.Errorf("namespace %s does not exist on the Temporal cluster at %s: create it and mlasim's search attributes with 'mlasim setup' (or temporal operator namespace create --namespace %s), or set TEMPORAL_NAMESPACE", ns, addr, ns)
		}
		return nil, "", fmt.Errorf("asking the Temporal cluster at %s about namespace %s: %w", addr, ns, err)
	}
	return c, ns, nil
}

// Connect is Dial without the check that the namespace exists; it also returns the cluster's address.
func Connect(logger sdklog.Logger, say io.Writer) (c client.Client, namespace, addr string, err error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, "", "", fmt.Errorf("reading the Temporal client settings: %w", err)
	}
	keys, err := codec.FromEnv()
	if err != nil {
		return nil, "", "", err
	}
	codec.Apply(&opts, keys)
	opts.Logger = logger
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	addr = opts.HostPort
	if addr == "" {
		addr = client.DefaultHostPort
	}
	fmt.Fprintf(say, "Temporal cluster %s, namespace %s%s\n", addr, opts.Namespace, encrypted(keys))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err = client.DialContext(ctx, opts)
	if err != nil {
		return nil, "", "", fmt.Errorf("connecting to Temporal at %s: %w (start one with 'mlasim dev', or set TEMPORAL_ADDRESS)", addr, err)
	}
	return c, opts.Namespace, addr, nil
}

// Decide sends a person's decision to a request waiting for one and returns the workflow's answer; a
// decision the workflow's validator refuses comes back as the error, with the reason.
func Decide(ctx context.Context, c client.Client, workflowID string, u workflows.DecisionUpdate) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: workflows.UpdateDecide, Args: []any{u}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var ack string
	if err == nil {
		err = h.Get(ctx, &ack)
	}
	return ack, err
}
