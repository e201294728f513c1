package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// Versions of the workflows' behaviour. Every behaviour change goes behind workflow.GetVersion with a
// change ID of its own, so requests started under earlier code replay and finish as they began; the
// committed histories in testdata/histories prove it.
const (
	// changeMessagesOnce: messages from people are consumed once by the step that waits for them;
	// concurrent decisions are refused but one; a preservation takes any number of follow-ups, and every
	// wait on another workflow is bounded, with a named outcome.
	changeMessagesOnce = "messages-once"
	// changeScenarioWindow: a scenario plans its cases from its source and starts them in a window,
	// continuing as new; a case of several requests runs as a Case workflow.
	changeScenarioWindow = "scenario-window"
	// changeProviderAttempts: the workflow counts a provider's attempts and waits between them in legal
	// time; the activity draws each attempt's fault from the workflow's count, not Temporal's.
	changeProviderAttempts = "provider-attempts"
	// changeLateFollowUp: a follow-up that finds its preservation no longer holding the data says so in
	// the same words whether the preservation answered it or had already ended, so the timeline does not
	// depend on how fast the engine closed the preservation.
	changeLateFollowUp = "late-follow-up"
	// changeCompactOutcome: a request's outcome lists the rules that fired with their citation, effect
	// and the facts they read, without each rule's explanatory text (the timeline quotes what mattered,
	// and 'mlasim rules explain' gives the rest): the outcome, the largest payload of a request, shrinks
	// by about half.
	changeCompactOutcome = "compact-outcome"
	// changeBasisFallback: a request citing a basis that does not bind the pair is handled under the one
	// that applies, and its timeline says so when it is drafted.
	changeBasisFallback = "basis-fallback"
	// changePeopleHoldTheClock: while a person decides, legal time does not run with the wall clock. An
	// answer takes the think budget the scenario sets (by default the time the simulated actor would
	// take), whole minutes of legal time; a training session (Clock.HoldForPeople) waits for the person
	// without a legal deadline.
	changePeopleHoldTheClock = "people-hold-the-clock"
	// changeLastWords: a preservation answers, as it closes, a follow-up whose word came after it had
	// answered the others, so that follow-up does not wait out its bound for an answer.
	changeLastWords = "last-words"
	// changeLastWordsReceived: as it closes, a preservation first lets the goroutine that receives the
	// follow-ups' words take a word that came in the same task as its end, so that word too is answered
	// (before, the follow-up waited out its bound and took the data as not kept).
	changeLastWordsReceived = "last-words-received"
	// changeRequesterDecides: told that the requested State cannot keep the request confidential
	// (Budapest Arts 27(8), 29(6)), the requesting State decides whether it should nevertheless be
	// executed; if not, the request is withdrawn. Before, the timeline said the requester proceeds.
	changeRequesterDecides = "requester-decides"
	// changeTrainingPause: the Scenario and Case workflows of a training run take the trainer's pause
	// (SignalClock): no request is sent while the legal clock stands still, and later starts move by the
	// time it stood still. Before, only the requests already sent held.
	changeTrainingPause = "training-pause"
	// changeCoordinateAndCosts: a 24/7 point of contact outside the authority for mutual assistance
	// coordinates with it (Budapest Art 35(2)(b)), and a request that needs extraordinary expenses waits
	// for the States to agree the terms (UNCC as UNTOC 18(28) [U]); both duties are new in the packs.
	changeCoordinateAndCosts = "coordinate-and-costs"
	// changeMeasures: a request that seeks several measures has each screened and decided on its own,
	// and only the measures granted are executed (a partial grant per measure).
	changeMeasures = "measures"
	// changeProviderDecides: a State receiving spontaneous information it cannot keep confidential says
	// so, and the sending State decides whether to provide it nevertheless (Budapest Art 26(2)).
	changeProviderDecides = "provider-decides"
	// changeReferral: a request that reached an authority not competent to deal with it is referred to
	// the competent one, and the requesting State is told (Budapest Art 27(9)(c)).
	changeReferral = "referral"
	// changeClosureStatus: a request not going ahead without its confidentiality closes with a line that
	// carries its status, and lapses when the requesting State never answered.
	changeClosureStatus = "closure-status"
	// changePauseEveryCase: the trainer's pause reaches every Case workflow: those an earlier run of the
	// scenario started too, and one whose start the server confirms while the clock stands still.
	changePauseEveryCase = "pause-every-case"
	// changeTreatyTerms: a request to which a bilateral MLA treaty applies says so at drafting, with the
	// terms that replace the instrument's own (Budapest Art 27(1)).
	changeTreatyTerms = "treaty-terms"
	// changeDirectOrder: an order straight to a provider in another Party (CETS 224 Art 7), and the
	// request that has no legal basis.
	changeDirectOrder = "direct-order"
	// changeDelayNotice: past the deadline the requesting State gave, the requested State says the request
	// is late (Budapest Art 27(7); UNCC as UNTOC Art 18(24) [U]), and the requesting State may answer that
	// the assistance is no longer required.
	changeDelayNotice = "delay-notice"
	// changeFormAndLanguage: the requesting State's answer to a request for information also supplies the
	// written form of an oral request and a translation into a language the requested State accepts.
	changeFormAndLanguage = "form-and-language"
	// changeMeasuresByPerson: a person who decides a request of several measures sees each further
	// measure screened first, and may decide them one by one.
	changeMeasuresByPerson = "measures-by-person"
	// changeDirectAccess: access to data stored in another Party without its authorisation (Budapest
	// Art 32).
	changeDirectAccess = "direct-access"
	// changeProductionLimits: an order given effect under CETS 224 Art 8 is served and produced against
	// the Article's time limits, and the timeline says whether each was met.
	changeProductionLimits = "production-limits"
	// changeDomainName: a request straight to a domain name registrar in another Party (CETS 224
	// Art 6 [U]).
	changeDomainName = "domain-name"
)

// inbox holds the one message from a person that the step now waiting for it may take. The step opens
// it; a validator refuses a message while it is closed or already holds one; the step takes the message
// and the inbox closes, so a message is used once and a stale one can never be applied again.
type inbox[T any] struct {
	name string // the update that fills it
	open bool
	msg  *T
	// legacy keeps the message after it is taken, as requests started before changeMessagesOnce did.
	legacy bool
}

// opened opens the inbox for a step.
func (b *inbox[T]) opened() { b.open = true }

// closed closes the inbox after the step.
func (b *inbox[T]) closed() { b.open = false }

// filled reports whether a message is waiting to be taken.
func (b *inbox[T]) filled() bool { return b.msg != nil }

// refuse returns why a message cannot be put in now, or nil.
func (b *inbox[T]) refuse(requestID string) error {
	switch {
	case b.legacy:
		return nil
	case !b.open:
		return fmt.Errorf("request %s is not waiting for %q now", requestID, b.name)
	case b.msg != nil:
		return fmt.Errorf("request %s already has an answer for this step (%q): this one was not applied", requestID, b.name)
	}
	return nil
}

// put stores a message; the handler calls it after the validator accepted the message. Two messages that
// reach the workflow in the same task both pass their validators: the second is refused here.
func (b *inbox[T]) put(requestID string, m T) error {
	if err := b.refuse(requestID); err != nil {
		return err
	}
	b.msg = &m
	return nil
}

// take returns the message and empties the inbox.
func (b *inbox[T]) take() T {
	m := *b.msg
	if !b.legacy {
		b.msg = nil
	}
	return m
}

// messagesVersion is the version of message handling a run uses.
func messagesVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, changeMessagesOnce, workflow.DefaultVersion, 1)
}
