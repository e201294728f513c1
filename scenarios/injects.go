package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mlasim/mlasim/mla"
)

// InjectSpec is an event at a legal time after the scenario start.
type InjectSpec struct {
	At string `yaml:"at"`
	// Type: withdrawal, provider-outage, policy-change, ratification, new-information, emergency.
	Type string `yaml:"type"`
	// Request names the request a withdrawal or new information is about.
	Request string `yaml:"request"`
	// State is the State whose providers fail, whose policy changes, or which ratifies the UNCC.
	State  string `yaml:"state"`
	Policy string `yaml:"policy"`
	// Duration of a provider outage.
	Duration string `yaml:"duration"`
	// Note says what new information is; Facts are the request fields it changes.
	Note  string         `yaml:"note"`
	Facts map[string]any `yaml:"facts"`
	// Emergency is the request an emergency inject sends (its kind is emergency, sent at At).
	Emergency *ReqSpec `yaml:"emergency"`
}

var injectTypes = []string{"withdrawal", "provider-outage", "policy-change", "ratification", "new-information", "emergency"}

// injects validates the injects; it adds emergency requests and scheduled withdrawals to the scripted
// requests, and returns the ratification dates by State.
func (v *validator) injects(s *Scenario, f *File, engine interface{ HasPolicy(string) bool }) map[string]time.Time {
	ratified := map[string]time.Time{}
	ids := map[string]int{}
	for i, r := range f.Requests {
		ids[r.ID] = i
	}
	for i, in := range f.Injects {
		at := func(k ...any) []any { return append([]any{"injects", i}, k...) }
		when := v.duration(at("at"), in.At, true)
		state := func() bool {
			if _, ok := s.States[in.State]; !ok {
				v.at(at("state"), fmt.Sprintf("unknown State %q", in.State))
				return false
			}
			return true
		}
		request := func() (int, bool) {
			j, ok := ids[in.Request]
			if !ok {
				v.at(at("request"), fmt.Sprintf("no request with id %q in this scenario", in.Request))
			}
			return j, ok
		}
		switch in.Type {
		case "withdrawal":
			if j, ok := request(); ok {
				sent := v.duration(nil, f.Requests[j].At, false)
				if when <= sent {
					v.at(at("at"), fmt.Sprintf("request %q is sent at %s: a withdrawal must come after", in.Request, f.Requests[j].At))
					continue
				}
				f.Requests[j].WithdrawAfter = mla.FormatLegalDuration(when - sent)
			}
		case "provider-outage":
			d := v.duration(at("duration"), in.Duration, true)
			if state() && d > 0 {
				s.outages = append(s.outages, outage{state: in.State, w: mla.Window{From: s.Clock.Start.Add(when), To: s.Clock.Start.Add(when + d)}})
			}
		case "policy-change":
			if state() {
				if !engine.HasPolicy(in.Policy) {
					v.at(at("policy"), fmt.Sprintf("unknown policy %q", in.Policy))
					continue
				}
				s.policyChanges = append(s.policyChanges, policyChange{state: in.State, c: mla.PolicyChange{At: s.Clock.Start.Add(when), Policy: in.Policy}})
			}
		case "ratification":
			if state() {
				ratified[in.State] = s.Clock.Start.Add(when)
			}
		case "new-information":
			if j, ok := request(); ok {
				for k := range in.Facts {
					if !slices.Contains(mla.UpdatableFacts, k) {
						v.at(at("facts", k), fmt.Sprintf("new information cannot change %q (it can change: %s)", k, strings.Join(mla.UpdatableFacts, ", ")))
					}
				}
				if in.Note == "" {
					v.at(at("note"), "say in a note what the new information is")
				}
				s.updates = append(s.updates, update{request: f.Requests[j].ID, u: mla.FactUpdate{At: s.Clock.Start.Add(when), Note: in.Note, Set: in.Facts}})
			}
		case "emergency":
			if in.Emergency == nil {
				v.at(at("emergency"), "an emergency inject gives the request it sends")
				continue
			}
			e := *in.Emergency
			e.Kind, e.At, e.Emergency = string(mla.KindEmergency), in.At, true
			f.Requests = append(f.Requests, e)
			ids[e.ID] = len(f.Requests) - 1
		default:
			v.at(at("type"), fmt.Sprintf("unknown inject %q (known: %s)", in.Type, strings.Join(injectTypes, ", ")))
		}
	}
	return ratified
}

type outage struct {
	state string
	w     mla.Window
}

type policyChange struct {
	state string
	c     mla.PolicyChange
}

type update struct {
	request string
	u       mla.FactUpdate
}

// applyInjects gives each request the outages, policy changes and new information that concern it.
func (s *Scenario) applyInjects() {
	for i := range s.Requests {
		r := &s.Requests[i].Request
		for _, o := range s.outages {
			if o.state == r.To {
				r.Outages = append(r.Outages, o.w)
			}
		}
		for _, p := range s.policyChanges {
			if p.state == r.To {
				r.PolicyChanges = append(r.PolicyChanges, p.c)
			}
		}
		for _, u := range s.updates {
			if u.request == r.ID {
				r.Updates = append(r.Updates, u.u)
			}
		}
		sort.Slice(r.PolicyChanges, func(a, b int) bool { return r.PolicyChanges[a].At.Before(r.PolicyChanges[b].At) })
		sort.Slice(r.Updates, func(a, b int) bool { return r.Updates[a].At.Before(r.Updates[b].At) })
	}
}

// applyBacklogs queues each requested central authority's requests in order of arrival: a State with a
// capacity of N reviews N requests a legal day, so a request waits while those ahead of it are reviewed.
// The queue is computed from the scenario's schedule, in legal time, so every engine gives the same waits.
func (s *Scenario) applyBacklogs(capacity map[string]float64) {
	byState := map[string][]int{}
	for i, in := range s.Requests {
		r := in.Request
		if capacity[r.To] > 0 && r.Channel != mla.ChannelNetwork247 && r.Kind != mla.KindSpontaneous {
			byState[r.To] = append(byState[r.To], i)
		}
	}
	for state, idx := range byState {
		sort.SliceStable(idx, func(a, b int) bool { return s.Requests[idx[a]].Request.At < s.Requests[idx[b]].Request.At })
		service := time.Duration(float64(mla.Day) / capacity[state])
		var free time.Duration
		var finishes []time.Duration
		for _, i := range idx {
			r := &s.Requests[i].Request
			start := max(r.At, free)
			r.Backlog = (start - r.At).Round(time.Minute)
			ahead := 0
			for _, f := range finishes {
				if f > r.At {
					ahead++
				}
			}
			r.BacklogAhead = ahead
			free = start + service
			finishes = append(finishes, free)
		}
	}
}
