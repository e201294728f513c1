package mla

import (
	"slices"
	"strconv"
	"strings"
)

// SignKind is a kind of observable sign that a request is made to prosecute or punish a person on account
// of a protected characteristic (political opinion, sex, race, language, religion, nationality, ethnic
// origin). A scenario author writes signs as facts with their source; the screening weighs them and the
// requested State's policy sets how much weight amounts to substantial grounds.
type SignKind string

// Kinds of signs of targeting.
const (
	// SignStatement: an official of the requesting State has spoken of the person, or of the group the
	// person belongs to, in terms that show hostility to their opinions or identity.
	SignStatement SignKind = "statement"
	// SignTiming: the charges or the request coincide with an election, a protest, a publication or
	// another exercise of the person's rights.
	SignTiming SignKind = "timing"
	// SignSelectiveProsecution: others in the same situation are not prosecuted; the person is singled
	// out.
	SignSelectiveProsecution SignKind = "selective-prosecution"
	// SignUNFinding: a UN treaty body or special procedure (for example the Working Group on Arbitrary
	// Detention) has found the person's treatment arbitrary or discriminatory.
	SignUNFinding SignKind = "un-finding"
	// SignInterpolFinding: INTERPOL has refused or deleted a notice or diffusion about the person as
	// predominantly political (Article 3 of its Constitution).
	SignInterpolFinding SignKind = "interpol-finding"
	// SignAsylum: the person has asylum or refugee status, or subsidiary protection, against the
	// requesting State.
	SignAsylum SignKind = "asylum-status"
	// SignPoliticalActivity: the person is politically active (opposition, civil society, journalism
	// critical of the requesting State's government).
	SignPoliticalActivity SignKind = "political-activity"
	// SignExtraterritorialClaim: the requesting State claims jurisdiction, on nationality or its own
	// protection, over conduct in the requested State by a person who lives there (Case.
	// ReachesIntoRequested): derived from the request's jurisdiction, never written as a sign.
	SignExtraterritorialClaim SignKind = "extraterritorial-claim"
	// SignMirrorsProtectedConduct: the conduct charged is conduct the requested State protects (speech,
	// assembly, association, religion): the charge mirrors the exercise of a right.
	SignMirrorsProtectedConduct SignKind = "charges-mirror-protected-conduct"
)

// SignKinds lists the kinds of signs a scenario may write, strongest first.
var SignKinds = []SignKind{SignUNFinding, SignInterpolFinding, SignAsylum, SignSelectiveProsecution, SignStatement,
	SignMirrorsProtectedConduct, SignTiming, SignPoliticalActivity}

// weighedKinds lists every kind the screening weighs, strongest first: those a scenario writes, and those
// it derives from other facts.
var weighedKinds = append(slices.Clone(SignKinds), SignExtraterritorialClaim)

// UnmarshalText reads a sign kind, rejecting unknown ones.
func (k *SignKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, "kind of sign", b, SignKinds)
}

// Weight is what one sign of the kind adds to the evidence of targeting. The weights are mlasim's model,
// not treaty text: findings by independent bodies (UN, INTERPOL, an asylum authority) weigh most, then
// signs specific to the person's case (selective prosecution, official statements, a charge that mirrors
// protected conduct), then circumstantial ones (timing, the person's political activity). Each kind counts
// once, however many signs of it a request shows.
func (k SignKind) Weight() int {
	switch k {
	case SignUNFinding, SignInterpolFinding, SignAsylum:
		return 3
	case SignSelectiveProsecution, SignStatement, SignMirrorsProtectedConduct:
		return 2
	case SignTiming, SignPoliticalActivity, SignExtraterritorialClaim:
		return 1
	}
	return 0
}

// RecordWeight is what a documented record of the requesting State's abuse of such requests adds: it
// says something of the State, not of this person, so it never suffices on its own.
const RecordWeight = 1

// DefaultSubstantialGrounds is the weight of evidence that amounts to substantial grounds when the
// requested State's policy does not set its own threshold: for example one independent finding, or a
// specific sign and a circumstantial one.
const DefaultSubstantialGrounds = 3

// MaxSubstantialGrounds is the largest threshold a policy may set: the weight of every sign together.
func MaxSubstantialGrounds() int {
	n := RecordWeight
	for _, k := range weighedKinds {
		n += k.Weight()
	}
	return n
}

// Sign is one observable sign of targeting, with where it comes from.
type Sign struct {
	Kind SignKind `json:"kind" yaml:"kind" jsonschema:"required"`
	// Source says who observed or published it: "statement of the Interior Minister, 2027-02-03",
	// "WGAD opinion 12/2026".
	Source string `json:"source" yaml:"source" jsonschema:"required"`
}

// Targeting is what the screening derives from the signs of targeting: the weight of the evidence, the
// threshold the requested State's policy sets, and whether the evidence meets it (substantial grounds for
// believing the request is made to prosecute or punish the person on account of a protected reason).
// Being a journalist, a politician, a researcher or a foreign national adds nothing: a role is not
// evidence.
type Targeting struct {
	Score       int  `json:"score"`
	Threshold   int  `json:"threshold"`
	Substantial bool `json:"substantial"`
	// Kinds lists the kinds of signs counted, strongest first.
	Kinds []string `json:"kinds"`
	// Evidence names every fact counted, with its source and weight, for explanations.
	Evidence string `json:"evidence"`
}

// AssessTargeting weighs the signs of targeting a case shows to the requested State, and the requesting
// State's record, against a threshold (DefaultSubstantialGrounds when zero). A conduct the requested State
// holds to be protected expression counts as a charge that mirrors protected conduct; a claim of
// jurisdiction that reaches into the requested State over a person living there counts as an
// extraterritorial claim.
func AssessTargeting(c Case, requested string, record Record, threshold int) Targeting {
	if threshold <= 0 {
		threshold = DefaultSubstantialGrounds
	}
	t := Targeting{Threshold: threshold, Kinds: []string{}}
	mirrors, reaches := c.Person.ProtectedExpression, c.ReachesIntoRequested(requested)
	documented := record == RecordDocumented
	if len(c.Signs) == 0 && !mirrors && !reaches && !documented {
		t.Evidence = "no sign of targeting (threshold " + strconv.Itoa(threshold) + ")"
		return t
	}
	var b strings.Builder
	for _, k := range weighedKinds {
		var src []string
		for _, s := range c.Signs {
			if s.Kind == k {
				src = append(src, s.Source)
			}
		}
		switch {
		case k == SignMirrorsProtectedConduct && mirrors:
			src = append(src, "the conduct is protected expression in the requested State")
		case k == SignExtraterritorialClaim && reaches:
			src = append(src, string(c.Jurisdiction.Basis)+" jurisdiction over conduct in "+requested+" by a person who lives there")
		}
		if len(src) == 0 {
			continue
		}
		t.Score += k.Weight()
		t.Kinds = append(t.Kinds, string(k))
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		writeWeighed(&b, k, src)
	}
	if documented {
		t.Score += RecordWeight
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString("documented record of the requesting State +" + strconv.Itoa(RecordWeight))
	}
	t.Substantial = t.Score >= threshold
	if b.Len() == 0 {
		t.Evidence = "no sign of targeting (threshold " + strconv.Itoa(threshold) + ")"
		return t
	}
	verdict := "meets"
	if !t.Substantial {
		verdict = "is below"
	}
	t.Evidence = "weight " + strconv.Itoa(t.Score) + " " + verdict + " the threshold " + strconv.Itoa(threshold) + ": " + b.String()
	return t
}

// writeWeighed writes one kind of sign as an explanation shows it: "timing +1 (an election; a protest)".
// Screening writes one for each kind it weighs, so it does without fmt.
func writeWeighed(b *strings.Builder, k SignKind, src []string) {
	b.WriteString(string(k))
	b.WriteString(" +")
	b.WriteString(strconv.Itoa(k.Weight()))
	b.WriteString(" (")
	for i, s := range src {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	b.WriteString(")")
}

// validateSigns checks each sign's kind and source; paths are relative to the case.
func validateSigns(signs []Sign) Problems {
	var ps Problems
	for i, s := range signs {
		at := Index("signs", i)
		if !known(s.Kind, SignKinds) {
			ps.add(at+".kind", "unknown kind of sign %q (known: %s)", s.Kind, joinEnum(SignKinds))
		}
		if strings.TrimSpace(s.Source) == "" {
			ps.add(at+".source", "say where the sign comes from (who said or found it, and when)")
		}
	}
	return ps
}
