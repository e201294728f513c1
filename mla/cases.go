package mla

import (
	"slices"
	"sort"
)

// Cases groups planned requests that talk to each other, a preservation and the requests that follow it
// up, as indexes into reqs, and orders the groups by the legal time their first request is sent (in
// scenario order where they tie). Within a group, requests keep scenario order. Requests of different
// cases never wait on one another, so cases can run apart: in their own test environment offline, or
// in a window of children on a server.
func Cases(reqs []Planned) [][]int {
	index := make(map[string]int, len(reqs))
	var cases [][]int
	for i, p := range reqs {
		if c, ok := index[p.Request.FollowUpOf]; ok && p.Request.FollowUpOf != "" {
			cases[c] = append(cases[c], i)
			index[p.Request.ID] = c
			continue
		}
		index[p.Request.ID] = len(cases)
		cases = append(cases, []int{i})
	}
	start := func(c []int) Duration {
		at := reqs[c[0]].Request.At
		for _, i := range c[1:] {
			at = min(at, reqs[i].Request.At)
		}
		return at
	}
	sort.SliceStable(cases, func(a, b int) bool { return start(cases[a]) < start(cases[b]) })
	return cases
}

// Compact returns what a workflow needs of a State: the facts rules see, its policy and its preservation
// period, without its name and the sources behind its status, which stay with the scenario.
func (s State) Compact() State {
	return State{Code: s.Code, UNCC: s.UNCC, Budapest: s.Budapest, SecondProtocol: s.SecondProtocol,
		Reservations: slices.Clone(s.Reservations), PreservationDays: s.PreservationDays, Policy: s.Policy, Record: s.Record,
		Fictional: s.Fictional, Law: s.Law, PoCOutsideMLAAuthority: s.PoCOutsideMLAAuthority}
}

// Compact returns the planned request as a workflow input carries it: States by their facts, the
// briefing and the truth left with the scenario.
func (p Planned) Compact() Planned {
	p.Request.Briefing = ""
	p.Request.Truth = Truth{}
	p.Requesting, p.Requested = p.Requesting.Compact(), p.Requested.Compact()
	if p.Onward != nil {
		o := p.Onward.Compact()
		p.Onward = &o
	}
	return p
}
