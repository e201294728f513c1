package mla

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Problem is something wrong with a value, at a field path such as "requests[3].offence.max_penalty_years"
// (the names of the scenario file). Loaders turn the path into a file and line.
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) Error() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Problems is every problem found, in order.
type Problems []Problem

func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "\n")
}

// add records a problem at path.
func (ps *Problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Prefixed returns the problems with prefix put before each path ("requests[3]" + "kind").
func (ps Problems) Prefixed(prefix string) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		out[i] = Problem{Path: joinPath(prefix, p.Path), Msg: p.Msg}
	}
	return out
}

func joinPath(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

// Index renders a path element for the i-th item of a list: "requests" + 3 gives "requests[3]".
func Index(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }

// idPattern is what a request ID may look like: it becomes part of a workflow ID and a file name.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// ValidID reports whether id can name a request (letters, digits, '.', '_' and '-', at most 100).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// MaxPenaltyYears bounds the maximum penalty a request may state (life imprisonment is written as 100).
const MaxPenaltyYears = 100

// Validate checks a request on its own: required fields, ranges, values that only make sense together.
// Paths are relative to the request.
func (r Request) Validate() Problems {
	var ps Problems
	switch {
	case r.ID == "":
		ps.add("id", "missing request id")
	case !ValidID(r.ID):
		ps.add("id", "request id %q: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit)", r.ID)
	}
	if strings.TrimSpace(r.Title) == "" {
		ps.add("title", "missing title")
	}
	if r.Kind == "" {
		ps.add("kind", "missing request kind (known: %s)", joinEnum(Kinds))
	}
	if r.From == "" {
		ps.add("from", "missing State")
	}
	if r.To == "" {
		ps.add("to", "missing State")
	}
	if r.From != "" && r.From == r.To {
		ps.add("to", "a request goes to another State")
	}
	if r.FollowUpOf != "" && r.FollowUpOf == r.ID {
		ps.add("follow_up_of", "a request cannot follow up itself")
	}
	if r.FollowUpOf != "" && r.Kind == KindPreservation {
		ps.add("follow_up_of", "a preservation request does not follow up another request; the follow-up is the MLA request that asks for the preserved data")
	}
	if r.RevealsProviderIn != "" {
		if r.Kind != KindPreservation {
			ps.add("reveals_provider_in", "only a preservation request reveals a provider in a third State (Budapest Art 30)")
		}
		if r.RevealsProviderIn == r.From || r.RevealsProviderIn == r.To {
			ps.add("reveals_provider_in", "the provider revealed is in a third State, not %s", r.RevealsProviderIn)
		}
	}
	ps = append(ps, r.validateDirectOrder()...)
	ps = append(ps, r.Jurisdiction.validate(r.From).Prefixed("jurisdiction")...)
	if r.Basis == BasisNone {
		ps.add("basis", "%s is what basis selection finds when no instrument allows a request, not a basis to cite", BasisNone)
	}
	ps = append(ps, r.Case.validate()...)
	ps = append(ps, r.Script.validate()...)
	ps = append(ps, r.idleManualRoles()...)
	if e := r.Expected; e != nil && !e.Status.Final() {
		ps.add("expected.status", "expected status must be a final status (%s), not %q", joinEnum(FinalStatuses()), e.Status)
	}
	return ps
}

func (c Case) validate() Problems {
	var ps Problems
	ps = append(ps, c.Offence.Validate().Prefixed("offence")...)
	ps = append(ps, validateSigns(c.Signs)...)
	ps = append(ps, c.conclusionsWritten()...)
	ps = append(ps, c.validateMeasures()...)
	ps = append(ps, c.validateForm()...)
	for j, o := range c.Omitted {
		if !IsContentKey(o) {
			ps.add(Index("omitted", j), "unknown content item %q (known: %s)", o, strings.Join(contentKeyList(), ", "))
		}
	}
	return ps
}

// validateMeasures checks a request's further measures: only a request for mutual assistance proper has
// them, each of a kind of assistance, none sought twice, at most MaxMeasures.
func (c Case) validateMeasures() Problems {
	var ps Problems
	if len(c.Measures) == 0 {
		return ps
	}
	if !slices.Contains(MeasureKinds, c.Kind) {
		ps.add("measures", "a %s request seeks one measure; several measures belong in a request for mutual assistance (%s)", c.Kind, joinEnum(MeasureKinds))
		return ps
	}
	if len(c.Measures) > MaxMeasures {
		ps.add("measures", "at most %d further measures in one request, not %d", MaxMeasures, len(c.Measures))
	}
	seen := map[Measure]bool{{Kind: c.Kind, DataKind: c.DataKind}: true}
	for j, m := range c.Measures {
		switch {
		case m.Kind == "":
			ps.add(Index("measures", j)+".kind", "missing kind (known: %s)", joinEnum(MeasureKinds))
		case !slices.Contains(MeasureKinds, m.Kind):
			ps.add(Index("measures", j)+".kind", "a measure is one of %s, not %q", joinEnum(MeasureKinds), m.Kind)
		case seen[m]:
			ps.add(Index("measures", j), "the request already seeks %s", m)
		}
		seen[m] = true
	}
	return ps
}

// Validate checks an offence as a scenario writes it; paths are relative to the offence.
func (o Offence) Validate() Problems {
	var ps Problems
	if y := o.MaxPenaltyYears; y < 0 || y > MaxPenaltyYears {
		ps.add("max_penalty_years", "a penalty of %d years is outside 0..%d (write life imprisonment as %d)", y, MaxPenaltyYears, MaxPenaltyYears)
	}
	if o.Political {
		ps.add("political", "whether an offence is political is derived from its facts: write its category (%s) or its motive (motive: political) and whether it was violent",
			strings.Join(PurePoliticalCategories, ", "))
	}
	return ps
}

// Validate checks a provider's settings; paths are relative to the provider.
func (p Provider) Validate() Problems {
	var ps Problems
	if n := p.MaxAttempts; n < 0 || n > 50 {
		ps.add("max_attempts", "max_attempts is between 0 (the default, 5) and 50, not %d", n)
	}
	if f := float64(p.FailureRate); math.IsNaN(f) || f < 0 || f > 1 {
		ps.add("failure_rate", "a failure rate is a share between 0 and 1, not %v", f)
	}
	return ps
}

// idleManualRoles are the roles made manual on a request that never waits for them.
func (r Request) idleManualRoles() Problems {
	var ps Problems
	for _, role := range sortedActors(r.Actors) {
		if r.Actors[role] == ModeManual && slices.Contains(ManualRoles, role) && !r.WorkFor(role) {
			ps.add("actors."+string(role), "the %s is manual, but this %s request over the %s channel never waits for it: the person would have nothing to do (%s decides it)",
				role, r.Kind, r.Channel, r.Decider())
		}
	}
	return ps
}

func (s Script) validate() Problems {
	ps := s.Provider.Validate().Prefixed("provider")
	for _, role := range sortedActors(s.Actors) {
		if !slices.Contains(ManualRoles, role) {
			ps.add("actors."+string(role), "the %s is always played by the simulator; a person can play %s", role, joinEnum(ManualRoles))
		}
		if m := s.Actors[role]; !known(m, Modes) {
			ps.add("actors."+string(role), "mode must be automatic or manual, not %q", m)
		}
	}
	return ps
}

func sortedActors(m map[Actor]Mode) []Actor {
	out := make([]Actor, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// ValidateRequests checks a scenario's requests together: each on its own, then what they refer to (the
// States, the preservation a request follows up, the third State of an onward preservation). Paths start
// with "requests[i]".
func ValidateRequests(reqs []Request, states map[string]State) Problems {
	var ps Problems
	index := make(map[string]int, len(reqs))
	for i, r := range reqs {
		at := Index("requests", i)
		ps = append(ps, r.Validate().Prefixed(at)...)
		if prev, dup := index[r.ID]; dup && r.ID != "" {
			ps.add(at+".id", "duplicate request id %q (also requests[%d])", r.ID, prev)
			continue
		}
		index[r.ID] = i
	}
	for i, r := range reqs {
		at := Index("requests", i)
		for _, side := range []struct{ field, code string }{{"from", r.From}, {"to", r.To}, {"reveals_provider_in", r.RevealsProviderIn}, {"jurisdiction.conduct_in", r.Jurisdiction.ConductIn}} {
			if _, ok := states[side.code]; side.code != "" && !ok {
				ps.add(at+"."+side.field, "unknown State %q (not in mla/states.csv nor in world.states)", side.code)
			}
		}
		if r.FollowUpOf == "" || r.FollowUpOf == r.ID {
			continue
		}
		j, ok := index[r.FollowUpOf]
		switch {
		case !ok:
			ps.add(at+".follow_up_of", "no request with id %q in this scenario", r.FollowUpOf)
		case reqs[j].Kind != KindPreservation:
			ps.add(at+".follow_up_of", "request %q is not a preservation request", r.FollowUpOf)
		case reqs[j].From != r.From || reqs[j].To != r.To:
			ps.add(at+".follow_up_of", "request %q goes from %s to %s; a follow-up must go between the same States", r.FollowUpOf, reqs[j].From, reqs[j].To)
		case r.At < reqs[j].At:
			ps.add(at+".at", "the follow-up is sent at %s, before the preservation %q it follows up (%s)", r.At, r.FollowUpOf, reqs[j].At)
		}
	}
	return ps
}

func contentKeyList() []string {
	var out []string
	for _, c := range append(append([]ContentItem{}, mlaContents...), preservationContents...) {
		if !slices.Contains(out, c.Key) {
			out = append(out, c.Key)
		}
	}
	return out
}

// validateDirectOrder checks what a direct order to a provider cannot have: it travels straight to the
// provider, seeks one thing, and follows up nothing.
func (r Request) validateDirectOrder() Problems {
	var ps Problems
	if r.Kind == KindDirectAccess {
		if r.Access == "" {
			ps.add("access", "say how the data is accessed without the other Party's authorisation: %s (Budapest Art 32(a)) or %s (Art 32(b))", AccessOpenSource, AccessConsent)
		}
		if r.Channel != "" && r.Channel != ChannelOwnSystem {
			ps.add("channel", "access without authorisation is through a computer system of the requesting Party (channel %s), not over %s", ChannelOwnSystem, r.Channel)
		}
		if len(r.Measures) > 0 || r.FollowUpOf != "" {
			ps.add("kind", "access without authorisation asks for nothing further and follows up nothing")
		}
		return ps
	}
	if r.Access != "" {
		ps.add("access", "only access without authorisation (kind %s) says how the data is accessed", KindDirectAccess)
	}
	if r.Channel == ChannelOwnSystem {
		ps.add("channel", "only access without authorisation (kind %s) goes through the requesting Party's own system", KindDirectAccess)
	}
	if r.Kind != KindDirectOrder && r.Kind != KindDomainName {
		if r.Channel == ChannelProvider {
			ps.add("channel", "only a direct order (kind %s) or a request for domain name registration information (kind %s) travels straight to the provider",
				KindDirectOrder, KindDomainName)
		}
		return ps
	}
	what, to := "a direct order", "provider"
	if r.Kind == KindDomainName {
		what, to = "a request for domain name registration information", "registrar"
	}
	if r.Channel != "" && r.Channel != ChannelProvider {
		ps.add("channel", "%s goes straight to the %s (channel %s), not over %s", what, to, ChannelProvider, r.Channel)
	}
	if len(r.Measures) > 0 {
		ps.add("measures", "%s asks for one thing; further measures need a request for mutual assistance", what)
	}
	if r.FollowUpOf != "" {
		ps.add("follow_up_of", "%s does not follow up a preservation in this model; use a request for mutual assistance", what)
	}
	return ps
}
