package mla

import (
	"fmt"
	"iter"
	"slices"
	"strings"
)

// Effect is what a rule does when its condition holds.
type Effect string

// Rule effects.
const (
	// EffectGround: a ground the requested State MAY invoke to refuse (discretionary).
	EffectGround Effect = "ground"
	// EffectBar: the requested State must not refuse on the named ground alone.
	EffectBar Effect = "bar"
	// EffectDuty: something the requested State must do (consult, give reasons, inform).
	EffectDuty Effect = "duty"
	// EffectCondition: a condition the requested State may attach to assistance.
	EffectCondition Effect = "condition"
	// EffectPostpone: the requested State may postpone.
	EffectPostpone Effect = "postpone"
	// EffectCompleteness: a required content item is missing.
	EffectCompleteness Effect = "completeness"
	// EffectInvoke: (policy packs) the State invokes the named available ground.
	EffectInvoke Effect = "invoke"
	// EffectMandatory: a ground the requested State's own law obliges it to invoke: whatever its policy,
	// the request is refused on it. The screening reports it as a ground and as its invocation.
	EffectMandatory Effect = "mandatory"
)

// Effects lists every effect.
var Effects = []Effect{EffectGround, EffectBar, EffectDuty, EffectCondition, EffectPostpone, EffectCompleteness, EffectInvoke, EffectMandatory}

// UnmarshalText parses an effect.
func (e *Effect) UnmarshalText(b []byte) error { return unmarshalEnum(e, "effect", b, Effects) }

// Duties are the duties a duty rule may name: each is something the workflows carry out.
var Duties = []string{"consult", "reasons", "inform", "expedite", "preserve-60-days", "coordinate", "consult-costs", "refer", "inform-delay", "production-limits"}

// JoinDuties lists the duties for a message.
func JoinDuties() string { return strings.Join(Duties, ", ") }

// Remedy is what a State does when it invokes a ground: refuse, grant partially, or offer conditions.
type Remedy string

// Remedies.
const (
	RemedyRefuse     Remedy = "refuse"
	RemedyPartial    Remedy = "partial"
	RemedyConditions Remedy = "conditions"
	RemedyPostpone   Remedy = "postpone"
)

// Remedies lists the remedies.
var Remedies = []Remedy{RemedyRefuse, RemedyPartial, RemedyConditions, RemedyPostpone}

// UnmarshalText parses a remedy.
func (r *Remedy) UnmarshalText(b []byte) error { return unmarshalEnum(r, "remedy", b, Remedies) }

// Finding is one rule that fired in a screening.
type Finding struct {
	RuleID  string `json:"rule_id"`
	Pack    string `json:"pack"`
	Article string `json:"article"`
	Tag     Tag    `json:"tag"`
	Effect  Effect `json:"effect"`
	// Ground names the ground a ground, bar or invoke rule is about.
	Ground string `json:"ground,omitempty"`
	// Duty names the duty of a duty rule: consult, reasons, inform.
	Duty string `json:"duty,omitempty"`
	// Condition names the condition of a condition rule.
	Condition Condition `json:"condition,omitempty"`
	// Remedy is what an invoke rule does with the ground.
	Remedy Remedy `json:"remedy,omitempty"`
	// Implements is, for a policy rule, the instrument rule whose ground it invokes.
	Implements string `json:"implements,omitempty"`
	Explain    string `json:"explain,omitempty"`
	// Facts are the facts the condition read, with their values: why it fired.
	Facts map[string]string `json:"facts,omitempty"`
	// Required marks a ground the requested State's own law obliges it to invoke (a mandatory rule).
	Required bool `json:"required,omitempty"`
}

// Citation returns the finding's citation.
func (f Finding) Citation() Citation {
	return Citation{RuleID: f.RuleID, Article: f.Article, Tag: f.Tag}
}

// Screening is the requested State's screening of a request: every rule that fired, sorted.
type Screening struct {
	Findings []Finding `json:"findings"`
	// Evaluated counts the rules evaluated (fired or not).
	Evaluated int `json:"evaluated"`
}

// Available returns the ground findings not barred by a bar finding, one per ground (the first rule).
func (s Screening) Available() []Finding {
	seen := map[string]bool{}
	var out []Finding
	for f := range s.Each(EffectGround) {
		if !seen[f.Ground] && !s.barred(f.Ground) {
			seen[f.Ground] = true
			out = append(out, f)
		}
	}
	return out
}

// barred reports whether a bar finding names the ground.
func (s Screening) barred(ground string) bool {
	for f := range s.Each(EffectBar) {
		if f.Ground == ground {
			return true
		}
	}
	return false
}

// Barred returns the bar findings.
func (s Screening) Barred() []Finding { return s.with(EffectBar) }

// Duties returns the duty findings.
func (s Screening) Duties() []Finding { return s.with(EffectDuty) }

// HasDuty reports whether a duty of the given name fired.
func (s Screening) HasDuty(name string) bool {
	for f := range s.Each(EffectDuty) {
		if f.Duty == name {
			return true
		}
	}
	return false
}

// Conditions returns the condition findings.
func (s Screening) Conditions() []Finding { return s.with(EffectCondition) }

// Postponement returns the postponement finding, if any.
func (s Screening) Postponement() (Finding, bool) {
	for f := range s.Each(EffectPostpone) {
		return f, true
	}
	return Finding{}, false
}

// Incomplete returns the completeness findings.
func (s Screening) Incomplete() []Finding { return s.with(EffectCompleteness) }

// Ground returns the available finding for a ground name.
func (s Screening) Ground(name string) (Finding, bool) {
	if s.barred(name) {
		return Finding{}, false
	}
	for f := range s.Each(EffectGround) {
		if f.Ground == name {
			return f, true
		}
	}
	return Finding{}, false
}

// available reports whether a ground is available: found and not barred, as Ground says.
func (s Screening) available(name string) bool {
	_, ok := s.Ground(name)
	return ok
}

// Invoked returns the policy findings whose ground is available: the grounds the State's policy uses.
// A policy that would invoke a barred or absent ground is ignored, and the finding says so in
// IgnoredInvocations.
func (s Screening) Invoked() []Finding {
	var out []Finding
	for f := range s.Each(EffectInvoke) {
		if f.Remedy == RemedyPostpone {
			continue
		}
		if s.available(f.Ground) {
			out = append(out, f)
		}
	}
	return out
}

// IgnoredInvocations yields the policy findings whose ground is not available (barred or not found).
// It is read once per screening, so it yields them rather than gathering them in a slice.
func (s Screening) IgnoredInvocations() iter.Seq[Finding] {
	return func(yield func(Finding) bool) {
		for f := range s.Each(EffectInvoke) {
			if f.Remedy != RemedyPostpone && !s.available(f.Ground) && !yield(f) {
				return
			}
		}
	}
}

// PolicyPostpones reports whether the policy invokes an available postponement.
func (s Screening) PolicyPostpones() (Finding, bool) {
	p, ok := s.Postponement()
	if !ok {
		return Finding{}, false
	}
	for f := range s.Each(EffectInvoke) {
		if f.Remedy == RemedyPostpone {
			return p, true
		}
	}
	return Finding{}, false
}

func (s Screening) with(e Effect) []Finding { return slices.Collect(s.Each(e)) }

// Has reports whether a finding of the effect fired.
func (s Screening) Has(e Effect) bool {
	for range s.Each(e) {
		return true
	}
	return false
}

// Each yields the findings of one effect, in order, for a caller that only looks at them: unlike
// Duties, Barred and the like, it copies nothing.
func (s Screening) Each(e Effect) iter.Seq[Finding] {
	return func(yield func(Finding) bool) {
		for i := range s.Findings {
			if s.Findings[i].Effect == e && !yield(s.Findings[i]) {
				return
			}
		}
	}
}

// Decision is a decision taken by an actor on a request.
type Decision struct {
	Kind       DecisionKind `json:"kind"`
	Grounds    []string     `json:"grounds,omitempty"`
	Conditions []Condition  `json:"conditions,omitempty"`
	Reasons    string       `json:"reasons,omitempty"`
	Citations  []Citation   `json:"citations,omitempty"`
	By         Actor        `json:"by"`
	Mode       Mode         `json:"mode"`
	// PostponeFor is the legal time a postponement lasts.
	PostponeFor Duration `json:"postpone_for,omitempty"`
	// Parts is the decision on each measure of a request that seeks several (DecideParts).
	Parts []Part `json:"parts,omitempty"`
	// Choices are a person's decisions on further measures, measure by measure (DecideParts applies
	// them); a further measure without a choice follows the decision on the first.
	Choices []PartChoice `json:"choices,omitempty"`
}

// PartChoice is a person's decision on one further measure of a request: its index among the request's
// parts (1 is the first further measure), grant, partial (without coercive measures) or refuse, and the
// grounds a refusal or partial grant rests on.
type PartChoice struct {
	Measure int          `json:"measure"`
	Kind    DecisionKind `json:"kind"`
	Grounds []string     `json:"grounds,omitempty"`
}

// ValidateChoices checks a person's decisions on further measures against each measure's screening
// (screenings[i] is the screening of part i): a choice names a further measure once, grants, grants
// partially or refuses it, and a refusal or partial grant rests on grounds available for that measure.
func ValidateChoices(choices []PartChoice, screenings []Screening) error {
	seen := map[int]bool{}
	for _, c := range choices {
		if c.Measure < 1 || c.Measure >= len(screenings) {
			return fmt.Errorf("measure %d: the request's further measures are 1 to %d", c.Measure, len(screenings)-1)
		}
		if seen[c.Measure] {
			return fmt.Errorf("measure %d is decided twice", c.Measure)
		}
		seen[c.Measure] = true
		switch c.Kind {
		case DecisionGrant:
			if len(c.Grounds) > 0 {
				return fmt.Errorf("measure %d: a grant rests on no ground", c.Measure)
			}
		case DecisionRefuse, DecisionPartial:
			if len(c.Grounds) == 0 {
				return fmt.Errorf("measure %d: name the grounds a %s rests on", c.Measure, c.Kind)
			}
			for _, g := range c.Grounds {
				if _, ok := screenings[c.Measure].Ground(g); !ok {
					return fmt.Errorf("measure %d: %s is not a ground available for it", c.Measure, g)
				}
			}
		default:
			return fmt.Errorf("measure %d: a measure is granted, granted partially or refused, not %q", c.Measure, c.Kind)
		}
	}
	return nil
}

// choiceFor returns the person's choice on part i, if any.
func (d Decision) choiceFor(i int) (PartChoice, bool) {
	for _, c := range d.Choices {
		if c.Measure == i {
			return c, true
		}
	}
	return PartChoice{}, false
}

// Part is the decision on one measure of a request that seeks several.
type Part struct {
	Measure Measure `json:"measure"`
	Granted bool    `json:"granted"`
	// NonCoercive: granted for what needs no coercive measure only.
	NonCoercive bool       `json:"non_coercive,omitempty"`
	Grounds     []string   `json:"grounds,omitempty"`
	Citations   []Citation `json:"citations,omitempty"`
}

// NonCoercive reports whether the decision grants a single measure for what needs no coercive measure
// only (a partial grant of a request with one measure).
func (d Decision) NonCoercive() bool { return d.Kind == DecisionPartial && len(d.Parts) == 0 }

// Granted returns the measures the decision grants.
func (d Decision) Granted() []Part {
	var out []Part
	for _, p := range d.Parts {
		if p.Granted {
			out = append(out, p)
		}
	}
	return out
}

// DecideParts extends the decision d on a request's first measure to each of its measures, given one
// screening per measure (the first is the one d was taken on). A further measure is refused where its
// own screening makes refusal mandatory (the requested State's law), and otherwise follows d: an
// automatic decision is the policy's proposal for that measure; a person's refusal or partial grant
// applies to it where the person's grounds are available for it too, and it is granted otherwise. The
// result grants every measure (d, with its parts), refuses every one, or grants some: a partial grant
// that names the grounds of each refused measure (Budapest Art 27(6), "granted partially").
func DecideParts(d Decision, measures []Measure, screenings []Screening) Decision {
	first := Part{Measure: measures[0], Granted: d.Kind != DecisionRefuse, NonCoercive: d.NonCoercive()}
	if !first.Granted || first.NonCoercive {
		first.Grounds, first.Citations = d.Grounds, d.Citations
	}
	parts := []Part{first}
	for i := 1; i < len(measures); i++ {
		parts = append(parts, decidePart(d, i, measures[i], screenings[i]))
	}
	out := d
	out.Parts = parts
	var grounds []string
	var cites []Citation
	var granted, partial int
	for _, p := range parts {
		if p.Granted {
			granted++
		}
		if !p.Granted || p.NonCoercive {
			partial++
			for j, g := range p.Grounds {
				if slices.Contains(grounds, g) {
					continue
				}
				grounds = append(grounds, g)
				// A person's decision carries its grounds' citations in order; a part without one for
				// this ground cites nothing for it rather than another ground's.
				if j < len(p.Citations) {
					cites = append(cites, p.Citations[j])
				}
			}
		}
	}
	switch {
	case granted == 0:
		out.Kind, out.Grounds, out.Citations = DecisionRefuse, grounds, cites
	case partial > 0:
		out.Kind, out.Grounds, out.Citations = DecisionPartial, grounds, cites
		out.Conditions = slices.DeleteFunc(slices.Clone(d.Conditions), func(c Condition) bool { return c == ConditionNonCoercive })
	}
	return out
}

// decidePart decides further measure i of a request (see DecideParts). A person's choice on the measure
// decides it, within what its screening allows: a ground that is no longer available for it falls away,
// and a refusal left without a ground is a grant.
func decidePart(d Decision, i int, m Measure, s Screening) Part {
	p := Part{Measure: m, Granted: true}
	cite := func(fs []Finding) {
		for _, f := range fs {
			p.Grounds, p.Citations = append(p.Grounds, f.Ground), append(p.Citations, f.Citation())
		}
	}
	var required []Finding
	for _, f := range s.Available() {
		if f.Required {
			required = append(required, f)
		}
	}
	if len(required) > 0 {
		p.Granted = false
		cite(required)
		return p
	}
	kind, named := d.Kind, d.Grounds
	if c, ok := d.choiceFor(i); ok && d.Mode == ModeManual {
		kind, named = c.Kind, c.Grounds
	} else if d.Mode != ModeManual {
		prop := Propose(s, 0).Decision
		kind, named = prop.Kind, prop.Grounds
	}
	if kind != DecisionRefuse && kind != DecisionPartial {
		return p
	}
	var found []Finding
	for _, g := range named {
		if f, ok := s.Ground(g); ok {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return p
	}
	p.Granted, p.NonCoercive = kind != DecisionRefuse, kind == DecisionPartial
	cite(found)
	return p
}

// Proposal is what the requested State's policy would decide, before any consultation.
type Proposal struct {
	Decision Decision
	// Consult is true when a duty to consult applies before the refusal or postponement.
	Consult bool
	// Curable is true when conditions might let the request be granted (consultation can succeed).
	Curable bool
}

// Propose applies a State's policy to a screening: the decision its automatic central authority takes.
// Grounds the policy invokes with remedy "refuse" lead to refusal (after consultation if a duty applies);
// with "conditions", to a grant with conditions if the requesting State accepts them; with "partial", to
// partial assistance. An invoked postponement postpones. Otherwise the request is granted.
func Propose(s Screening, postponeFor Duration) Proposal {
	invoked := s.Invoked()
	consult := s.HasDuty("consult")
	if len(invoked) > 0 {
		remedy := RemedyConditions
		var grounds []string
		var cites []Citation
		var reasons []string
		for _, f := range invoked {
			g, _ := s.Ground(f.Ground)
			grounds = append(grounds, f.Ground)
			cites = append(cites, g.Citation())
			reasons = append(reasons, g.Explain)
			// The strongest remedy wins: refuse > partial > conditions.
			if f.Remedy == RemedyRefuse || (f.Remedy == RemedyPartial && remedy == RemedyConditions) {
				remedy = f.Remedy
			}
		}
		d := Decision{Grounds: grounds, Citations: cites, Reasons: strings.Join(reasons, " "), By: ActorRequestedCA, Mode: ModeAutomatic}
		switch remedy {
		case RemedyPartial:
			d.Kind = DecisionPartial
			d.Conditions = []Condition{ConditionNonCoercive}
			return Proposal{Decision: d}
		case RemedyConditions:
			d.Kind = DecisionGrantConditions
			d.Conditions = conditionsOf(s)
			return Proposal{Decision: d, Consult: consult, Curable: true}
		default:
			d.Kind = DecisionRefuse
			d.Conditions = conditionsOf(s)
			return Proposal{Decision: d, Consult: consult, Curable: false}
		}
	}
	if p, ok := s.PolicyPostpones(); ok {
		return Proposal{Decision: Decision{Kind: DecisionPostpone, Grounds: []string{p.Ground}, Citations: []Citation{p.Citation()},
			Reasons: p.Explain, By: ActorRequestedCA, Mode: ModeAutomatic, PostponeFor: postponeFor}, Consult: consult, Curable: true}
	}
	d := Decision{Kind: DecisionGrant, By: ActorRequestedCA, Mode: ModeAutomatic}
	for _, b := range s.Barred() {
		d.Citations = append(d.Citations, b.Citation())
	}
	if len(s.Barred()) > 0 {
		d.Reasons = "granted: " + joinExplain(s.Barred())
	}
	return Proposal{Decision: d}
}

// conditionsOf lists the conditions the screening allows, with use limitation always offered.
func conditionsOf(s Screening) []Condition {
	out := []Condition{ConditionUseLimitation}
	for _, f := range s.Conditions() {
		if !slices.Contains(out, f.Condition) {
			out = append(out, f.Condition)
		}
	}
	slices.Sort(out)
	return out
}

func joinExplain(fs []Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Explain
	}
	return strings.Join(parts, " ")
}

// ValidateDecision checks a person's decision against the screening: a refusal, postponement or partial
// grant must name at least one ground, and every ground named must be one the screening found available
// (not barred). The error says which ground and what was available, so the person can correct it.
func ValidateDecision(d Decision, s Screening) error {
	if _, err := ParseDecision(string(d.Kind)); err != nil {
		return err
	}
	if d.Kind.NeedsGround() && len(d.Grounds) == 0 {
		return fmt.Errorf("a %s decision must name at least one ground; available: %s", d.Kind, groundNames(s.Available()))
	}
	for _, f := range s.Available() {
		if f.Required && d.Kind != DecisionRefuse {
			return fmt.Errorf("the request must be refused: ground %q is required by %s: %s", f.Ground, f.Citation(), f.Explain)
		}
	}
	barred := map[string]Finding{}
	for _, b := range s.Barred() {
		barred[b.Ground] = b
	}
	for _, g := range d.Grounds {
		if d.Kind == DecisionPostpone {
			if p, ok := s.Postponement(); ok && p.Ground == g {
				continue
			}
			return fmt.Errorf("ground %q cannot postpone this request; postponement available: %s", g, groundNames(s.with(EffectPostpone)))
		}
		if b, ok := barred[g]; ok {
			return fmt.Errorf("ground %q is barred by %s: %s", g, b.Citation(), b.Explain)
		}
		if _, ok := s.Ground(g); !ok {
			return fmt.Errorf("ground %q was not found available by the screening; available: %s", g, groundNames(s.Available()))
		}
	}
	return nil
}

func groundNames(fs []Finding) string {
	if len(fs) == 0 {
		return "none"
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = fmt.Sprintf("%s (%s)", f.Ground, f.Citation())
	}
	return strings.Join(names, ", ")
}
