package workflows

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// DefaultWindow is how many cases a Scenario workflow runs at once when its input names no window. Runs
// already started read it on replay: a new default goes behind workflow.GetVersion.
const DefaultWindow = 200

// A run starts at most casesPerRun cases before it continues as new, which keeps its history near 5,000
// events (about ten per case); planPage cases are planned at a time.
const (
	planPage    = 100
	casesPerRun = 500
	// watchEvery is how often a run asks the cluster about the cases an earlier run started.
	watchEvery = 2 * time.Second
)

// scenarioRun is one run of a Scenario workflow since changeScenarioWindow.
type scenarioRun struct {
	in   ScenarioInput
	self string
	// page holds planned cases from pageFrom on.
	page     []activities.PlannedCase
	pageFrom int
	// running are the cases this run started, carried those earlier runs started: workflow ID to the
	// number of requests.
	running    caseSet
	carried    caseSet
	startedRun int
	changed    bool
	// starting counts the children whose start the server has not confirmed yet: a run continues as new
	// only once it is zero, since the server drops the start of a child whose parent run has closed.
	starting int
	// hold is a training run's pause.
	hold *hold
}

func (s *scenarioRun) run(ctx workflow.Context) (ScenarioResult, error) {
	in := &s.in
	s.self = workflow.GetInfo(ctx).WorkflowExecution.ID
	if in.Window <= 0 {
		in.Window = DefaultWindow
	}
	if in.RunLimit <= 0 {
		in.RunLimit = casesPerRun
	}
	if in.EngineStart.IsZero() {
		in.EngineStart = workflow.Now(ctx)
	}
	s.running, s.carried = newCaseSet(), newCaseSet()
	for _, c := range in.InFlight {
		s.carried.add(c.WorkflowID, c.Requests)
	}
	if err := s.queries(ctx); err != nil {
		return ScenarioResult{}, err
	}
	s.hold = keepHold(ctx, in.Clock.HoldForPeople, in.HeldFor, in.PausedSince, s.pauseCases)
	for {
		if err := s.fill(ctx); err != nil {
			return ScenarioResult{}, err
		}
		if in.Cursor >= in.Cases && s.running.len()+s.carried.len() == 0 {
			return ScenarioResult{ID: in.ID, Title: in.Title, Requests: in.Requests, Failed: in.Failed}, nil
		}
		if s.startedRun >= in.RunLimit && in.Cursor < in.Cases {
			if err := workflow.Await(ctx, func() bool { return s.starting == 0 }); err != nil {
				return ScenarioResult{}, err
			}
			return ScenarioResult{}, workflow.NewContinueAsNewError(ctx, ScenarioWorkflow, s.next())
		}
		if err := s.wait(ctx); err != nil {
			return ScenarioResult{}, err
		}
	}
}

func (s *scenarioRun) queries(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) {
		running := s.running.requests + s.carried.requests
		return Progress{Done: s.in.Done, Failed: s.in.Failed, Running: running, Total: s.in.Requests}, nil
	}); err != nil {
		return err
	}
	// A worker that screens with the scenario's own packs and has not planned it asks for them here: the
	// names are relative to Dir, as the scenario's loader gives them.
	return workflow.SetQueryHandler(ctx, QueryPacks, func() (PackFiles, error) {
		return PackFiles{Dir: filepath.Dir(s.in.Source.File), Files: s.in.Source.Packs}, nil
	})
}

// next is the input of the run that continues this one.
func (s *scenarioRun) next() ScenarioInput {
	next := s.in
	next.InFlight = nil
	next.HeldFor, next.PausedSince = s.hold.total, s.hold.pausedSince()
	for _, set := range []caseSet{s.carried, s.running} {
		for _, id := range set.sorted() {
			next.InFlight = append(next.InFlight, CaseRef{WorkflowID: id, Requests: set.n[id]})
		}
	}
	return next
}

// fill starts every case whose time has come while the window has room.
func (s *scenarioRun) fill(ctx workflow.Context) error {
	in := &s.in
	for !s.hold.paused && s.running.len()+s.carried.len() < in.Window && s.startedRun < in.RunLimit {
		c, ok, err := s.planned(ctx)
		if err != nil || !ok {
			return err
		}
		// Planning may have waited for an activity, during which the trainer may have paused.
		if s.hold.paused || s.due(c).After(workflow.Now(ctx)) {
			return nil
		}
		s.start(ctx, c)
		in.Cursor++
		s.startedRun++
	}
	return nil
}

// planned returns the case at the cursor, planning a page when needed; false when none is left.
func (s *scenarioRun) planned(ctx workflow.Context) (activities.PlannedCase, bool, error) {
	in := &s.in
	if in.Cases > 0 && in.Cursor >= in.Cases {
		return activities.PlannedCase{}, false, nil
	}
	if s.page == nil || in.Cursor-s.pageFrom >= len(s.page) {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 2 * time.Minute,
			RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 5}})
		var res activities.PlanResult
		err := workflow.ExecuteActivity(actx, a.Plan, activities.PlanInput{Source: *in.Source, Fingerprint: in.Fingerprint, From: in.Cursor, Count: planPage}).Get(ctx, &res)
		if err != nil {
			return activities.PlannedCase{}, false, err
		}
		s.page, s.pageFrom = res.Cases, in.Cursor
		in.Cases, in.Requests = res.Total, res.Requests
	}
	if in.Cursor-s.pageFrom >= len(s.page) {
		return activities.PlannedCase{}, false, nil
	}
	return s.page[in.Cursor-s.pageFrom], true, nil
}

// due is the engine time a case starts at: its first request's legal time, scaled, and later by the time
// a training run's clock stood still.
func (s *scenarioRun) due(c activities.PlannedCase) time.Time {
	return s.in.EngineStart.Add(s.in.Clock.Wall(c.Start.D()) + s.hold.total)
}

// pauseCases passes the trainer's pause on to the Case workflows running, which hold the start of their
// later requests; it wakes the run, which starts nothing while paused.
func (s *scenarioRun) pauseCases(ctx workflow.Context, paused bool) {
	s.changed = true
	sets := []caseSet{s.running}
	if workflow.GetVersion(ctx, changePauseEveryCase, workflow.DefaultVersion, 1) == 1 {
		sets = append(sets, s.carried)
	}
	for _, set := range sets {
		for _, id := range set.sorted() {
			if set.n[id] > 1 {
				// A case that has just ended takes no signal; that is no error.
				_ = workflow.SignalExternalWorkflow(ctx, id, "", SignalClock, ClockSignal{Paused: paused}).Get(ctx, nil)
			}
		}
	}
}

// start starts a case: a single request as its own workflow, several as a Case workflow. Cases are
// abandoned by the scenario's runs when they continue as new, and keep running.
func (s *scenarioRun) start(ctx workflow.Context, c activities.PlannedCase) {
	in := &s.in
	var child workflow.ChildWorkflowFuture
	var id string
	if len(c.Requests) == 1 {
		p := c.Requests[0]
		id = RequestWorkflowID(s.self, p.Request.ID)
		rq := RequestInput{ScenarioID: in.ID, Planned: p, Clock: in.Clock.From(in.Clock.Start.Add(p.Request.At.D()))}
		if in.PacksHash != "" {
			rq.PackSet = activities.PackRef{Hash: in.PacksHash, Workflow: s.self}
		}
		opts := childOptions(id, rq)
		opts.ParentClosePolicy = enumspb.PARENT_CLOSE_POLICY_ABANDON
		child = workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, opts), requestWorkflowOf(p.Request), rq)
	} else {
		first := c.Requests[0].Request
		id = s.self + "/case/" + first.ID
		ci := CaseInput{ScenarioID: in.ID, ScenarioWorkflowID: s.self, Clock: in.Clock, Start: c.Start, PacksHash: in.PacksHash}
		for _, p := range c.Requests {
			ci.Requests = append(ci.Requests, RequestInput{Planned: p})
		}
		child = workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: id, TaskQueue: TaskQueue, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
			StaticSummary:         fmt.Sprintf("case of %d requests: %s and its follow-ups", len(c.Requests), first.Title),
			TypedSearchAttributes: temporal.NewSearchAttributes(SAScenario.ValueSet(in.ID)),
		}), CaseWorkflow, ci)
	}
	n := len(c.Requests)
	s.running.add(id, n)
	s.starting++
	workflow.Go(ctx, func(gctx workflow.Context) {
		err := child.GetChildWorkflowExecution().Get(gctx, nil)
		s.starting--
		s.changed = true
		if err != nil {
			s.ended(id, n, n)
			return
		}
		if n > 1 && s.hold.on && s.hold.paused && workflow.GetVersion(gctx, changePauseEveryCase, workflow.DefaultVersion, 1) == 1 {
			// The pause may have come before the server confirmed the start, when a signal could not reach
			// the case: tell it now (a case told twice takes it once).
			_ = workflow.SignalExternalWorkflow(gctx, id, "", SignalClock, ClockSignal{Paused: true}).Get(gctx, nil)
		}
		failed := 0
		if n == 1 {
			var o mla.Outcome
			if err := child.Get(gctx, &o); err != nil || o.EngineFailed() {
				failed = 1
			}
		} else {
			var res CaseResult
			if err := child.Get(gctx, &res); err != nil {
				failed = n
			}
			for _, o := range res.Results {
				if o.EngineFailed() {
					failed++
				}
			}
		}
		s.ended(id, n, failed)
	})
}

func (s *scenarioRun) ended(id string, n, failed int) {
	s.running.remove(id)
	s.carried.remove(id)
	s.in.Done += n
	s.in.Failed += failed
	s.changed = true
}

// wait waits until a case ends, the next case's time comes, or (for cases an earlier run started) the
// time to ask the cluster about them.
func (s *scenarioRun) wait(ctx workflow.Context) error {
	in := &s.in
	timeout := time.Duration(-1)
	if !s.hold.paused && s.running.len()+s.carried.len() < in.Window && s.startedRun < in.RunLimit && in.Cursor < in.Cases && s.page != nil && in.Cursor-s.pageFrom < len(s.page) {
		timeout = max(s.due(s.page[in.Cursor-s.pageFrom]).Sub(workflow.Now(ctx)), 0)
	}
	if s.carried.len() > 0 && (timeout < 0 || timeout > watchEvery) {
		timeout = watchEvery
	}
	s.changed = false
	changed := func() bool { return s.changed }
	if timeout < 0 {
		return workflow.Await(ctx, changed)
	}
	ok, err := workflow.AwaitWithTimeout(ctx, timeout, changed)
	if err != nil || ok || s.carried.len() == 0 {
		return err
	}
	return s.watch(ctx)
}

// watch asks the cluster which cases of earlier runs have ended.
func (s *scenarioRun) watch(ctx workflow.Context) error {
	ids := s.carried.sorted()
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 10}})
	var closed []activities.Closed
	if err := workflow.ExecuteActivity(actx, a.Watch, ids).Get(ctx, &closed); err != nil {
		return err
	}
	for _, c := range closed {
		n := s.carried.n[c.WorkflowID]
		failed := 0
		if !c.Completed {
			failed = n
		}
		s.ended(c.WorkflowID, n, failed)
	}
	return nil
}

// caseSet holds cases in flight: workflow ID to its number of requests. Workflow code never ranges over
// the map (its order is random); it reads the IDs in order from ids.
type caseSet struct {
	ids      []string
	n        map[string]int
	requests int
}

func newCaseSet() caseSet { return caseSet{n: map[string]int{}} }

func (c *caseSet) add(id string, n int) {
	if _, ok := c.n[id]; ok {
		return
	}
	c.ids = append(c.ids, id)
	c.n[id] = n
	c.requests += n
}

func (c *caseSet) remove(id string) {
	n, ok := c.n[id]
	if !ok {
		return
	}
	delete(c.n, id)
	c.ids = slices.DeleteFunc(c.ids, func(x string) bool { return x == id })
	c.requests -= n
}

func (c *caseSet) len() int { return len(c.ids) }

// sorted returns the IDs in order.
func (c *caseSet) sorted() []string {
	out := slices.Clone(c.ids)
	slices.Sort(out)
	return out
}
