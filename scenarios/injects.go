package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/mlasim/mlasim/mla"
)

// InjectType is the kind of an inject.
type InjectType string

// Inject types.
const (
	InjectWithdrawal     InjectType = "withdrawal"
	InjectOutage         InjectType = "provider-outage"
	InjectPolicyChange   InjectType = "policy-change"
	InjectRatification   InjectType = "ratification"
	InjectNewInformation InjectType = "new-information"
	InjectEmergency      InjectType = "emergency"
)

// InjectTypes lists the inject types.
var InjectTypes = []InjectType{InjectWithdrawal, InjectOutage, InjectPolicyChange, InjectRatification, InjectNewInformation, InjectEmergency}

// UnmarshalText reads an inject type.
func (t *InjectType) UnmarshalText(b []byte) error {
	for _, k := range InjectTypes {
		if string(k) == string(b) {
			*t = k
			return nil
		}
	}
	return fmt.Errorf("unknown inject %q (known: withdrawal, provider-outage, policy-change, ratification, new-information, emergency)", b)
}

// InjectSpec is an event at a legal time after the scenario start.
type InjectSpec struct {
	At   mla.Duration `yaml:"at"`
	Type InjectType   `yaml:"type"`
	// Request names the request a withdrawal or new information is about.
	Request string `yaml:"request"`
	// State is the State whose providers fail, whose policy changes, or which ratifies the UNCC.
	State  string `yaml:"state"`
	Policy string `yaml:"policy"`
	// Duration of a provider outage.
	Duration mla.Duration `yaml:"duration"`
	// Note says what new information is; Facts are the facts it changes.
	Note  string        `yaml:"note"`
	Facts mla.CasePatch `yaml:"facts"`
	// Emergency is the request an emergency inject sends (its kind is emergency, sent at At).
	Emergency *mla.Request `yaml:"emergency"`
	// ByHand: in a training session the trainer fires the inject from the console, at the moment of
	// their choosing; it has no legal time of its own, and a run without a trainer never fires it. For
	// new information and withdrawals.
	ByHand bool `yaml:"by_hand"`
}

// HandInject is an inject the trainer fires by hand: new information for a request, or its withdrawal.
type HandInject struct {
	Type    InjectType    `json:"type"`
	Request string        `json:"request"`
	Note    string        `json:"note"`
	Facts   mla.CasePatch `json:"facts,omitzero"`
}

// schedule is what the injects add to requests, in legal time.
type schedule struct {
	outages       map[string][]mla.Window       // by requested State
	policyChanges map[string][]mla.PolicyChange // by requested State
	updates       map[string][]mla.FactUpdate   // by request ID
}

// injectRequests validates the injects: it applies withdrawals to the requests they name, appends the
// requests emergencies send, and keeps ratifications, outages, policy changes and new information for
// later.
func (l *loader) injectRequests(f File, reqs []mla.Request) []mla.Request {
	l.ratified = map[string]time.Time{}
	l.sched = schedule{outages: map[string][]mla.Window{}, policyChanges: map[string][]mla.PolicyChange{}, updates: map[string][]mla.FactUpdate{}}
	ids := make(map[string]int, len(reqs))
	for i, r := range reqs {
		ids[r.ID] = i
	}
	start := f.Clock.Start.Time()
	for i, in := range f.Injects {
		at := func(k string) string { return mla.Index("injects", i) + "." + k }
		if in.ByHand {
			l.handInject(ids, at, in)
			continue
		}
		if !l.present(at("at")) {
			l.at(at("at"), "say when the inject happens, e.g. at: 30d")
		}
		when := start.Add(in.At.D())
		switch in.Type {
		case InjectWithdrawal:
			l.withdrawal(ids, reqs, at, in)
		case InjectOutage, InjectPolicyChange, InjectRatification:
			l.stateInject(at, in, when)
		case InjectNewInformation:
			l.newInformation(ids, reqs, at, in, when)
		case InjectEmergency:
			if in.Emergency == nil {
				l.at(at("emergency"), "an emergency inject gives the request it sends")
				continue
			}
			e := *in.Emergency
			e.Kind, e.At, e.Emergency = mla.KindEmergency, in.At, true
			ids[e.ID] = len(reqs)
			reqs = append(reqs, e)
			l.origin = append(l.origin, at("emergency"))
		default:
			l.at(at("type"), "missing inject type (known: withdrawal, provider-outage, policy-change, ratification, new-information, emergency)")
		}
	}
	return reqs
}

// handInject keeps an inject for the trainer to fire: new information or a withdrawal, with its note.
func (l *loader) handInject(ids map[string]int, at func(string) string, in InjectSpec) {
	switch in.Type {
	case InjectNewInformation, InjectWithdrawal:
	default:
		l.at(at("by_hand"), "a trainer fires new-information and withdrawal injects by hand, not %s", in.Type)
		return
	}
	if l.present(at("at")) {
		l.at(at("at"), "an inject fired by hand has no legal time of its own: leave out at")
	}
	if in.Note == "" {
		l.at(at("note"), "say in a note what the trainer announces")
	}
	if in.Type == InjectNewInformation {
		if len(in.Facts.Fields()) == 0 {
			l.at(at("facts"), "say which facts the new information changes")
		}
		l.problems(in.Facts.Validate().Prefixed(at("facts")))
	}
	if _, ok := l.injectRequest(ids, at, in); ok {
		l.byHand = append(l.byHand, HandInject{Type: in.Type, Request: in.Request, Note: in.Note, Facts: in.Facts})
	}
}

func (l *loader) withdrawal(ids map[string]int, reqs []mla.Request, at func(string) string, in InjectSpec) {
	if j, ok := l.injectRequest(ids, at, in); ok {
		if in.At <= reqs[j].At {
			l.at(at("at"), "request %q is sent at %s: a withdrawal must come after", in.Request, reqs[j].At)
			return
		}
		reqs[j].WithdrawAfter = in.At - reqs[j].At
	}
}

// stateInject records an inject that concerns a State: an outage of its providers, a change of its
// policy, its ratification of the UNCC.
func (l *loader) stateInject(at func(string) string, in InjectSpec, when time.Time) {
	switch in.Type {
	case InjectOutage:
		if in.Duration <= 0 {
			l.at(at("duration"), "say how long the outage lasts, e.g. duration: 5d")
		}
		if l.injectState(at, in) && in.Duration > 0 {
			l.sched.outages[in.State] = append(l.sched.outages[in.State], mla.Window{From: when, To: when.Add(in.Duration.D())})
		}
	case InjectPolicyChange:
		if !l.engine.HasPolicy(in.Policy) {
			l.at(at("policy"), "unknown policy %q", in.Policy)
			return
		}
		if l.injectState(at, in) {
			l.sched.policyChanges[in.State] = append(l.sched.policyChanges[in.State], mla.PolicyChange{At: when, Policy: in.Policy})
		}
	case InjectRatification:
		if l.injectState(at, in) {
			l.ratified[in.State] = when
		}
	}
}

func (l *loader) newInformation(ids map[string]int, reqs []mla.Request, at func(string) string, in InjectSpec, when time.Time) {
	if in.Note == "" {
		l.at(at("note"), "say in a note what the new information is")
	}
	if len(in.Facts.Fields()) == 0 {
		l.at(at("facts"), "say which facts the new information changes")
	}
	l.problems(in.Facts.Validate().Prefixed(at("facts")))
	if j, ok := l.injectRequest(ids, at, in); ok {
		l.sched.updates[reqs[j].ID] = append(l.sched.updates[reqs[j].ID], mla.FactUpdate{At: when, Note: in.Note, Set: in.Facts})
	}
}

func (l *loader) injectRequest(ids map[string]int, at func(string) string, in InjectSpec) (int, bool) {
	j, ok := ids[in.Request]
	if !ok {
		l.at(at("request"), "no request with id %q in this scenario", in.Request)
	}
	return j, ok
}

func (l *loader) injectState(at func(string) string, in InjectSpec) bool {
	if _, ok := l.states[in.State]; !ok {
		l.at(at("state"), "unknown State %q", in.State)
		return false
	}
	return true
}

// schedule gives each planned request the outages, policy changes and new information that concern it,
// and the backlog of its requested central authority.
func (l *loader) schedule(f File, s *Scenario) {
	for i := range s.Requests {
		r := &s.Requests[i].Request
		r.Outages = append(r.Outages, l.sched.outages[r.To]...)
		r.PolicyChanges = append(r.PolicyChanges, l.sched.policyChanges[r.To]...)
		r.Updates = append(r.Updates, l.sched.updates[r.ID]...)
		sort.SliceStable(r.PolicyChanges, func(a, b int) bool { return r.PolicyChanges[a].At.Before(r.PolicyChanges[b].At) })
		sort.SliceStable(r.Updates, func(a, b int) bool { return r.Updates[a].At.Before(r.Updates[b].At) })
	}
	capacity := map[string]float64{}
	for _, st := range f.World.States {
		capacity[st.Code] = st.Capacity
	}
	applyBacklogs(s.Requests, capacity)
}

// applyBacklogs queues each requested central authority's requests in order of arrival: a State with a
// capacity of N reviews N requests a legal day, so a request waits while those ahead of it are reviewed.
// The queue is computed from the scenario's schedule, in legal time, so every engine gives the same
// waits. It takes O(n log n) for n requests.
func applyBacklogs(reqs []mla.Planned, capacity map[string]float64) {
	byState := map[string][]int{}
	for i, p := range reqs {
		r := p.Request
		if capacity[r.To] > 0 && r.Channel != mla.ChannelNetwork247 && r.Kind != mla.KindSpontaneous {
			byState[r.To] = append(byState[r.To], i)
		}
	}
	for _, state := range mla.SortedKeys(byState) {
		idx := byState[state]
		sort.SliceStable(idx, func(a, b int) bool { return reqs[idx[a]].Request.At < reqs[idx[b]].Request.At })
		service := time.Duration(float64(mla.Day) / capacity[state])
		var free time.Duration
		// finishes is nondecreasing (each review starts when the one before ends), so the requests still
		// queued when one arrives are found by binary search.
		finishes := make([]time.Duration, 0, len(idx))
		for _, i := range idx {
			r := &reqs[i].Request
			at := r.At.D()
			start := max(at, free)
			r.Backlog = mla.Duration((start - at).Round(time.Minute))
			first, _ := slices.BinarySearchFunc(finishes, at, func(f, t time.Duration) int {
				if f <= t {
					return -1
				}
				return 1
			})
			r.BacklogAhead = len(finishes) - first
			free = start + service
			finishes = append(finishes, free)
		}
	}
}
