// Package rules is the safeguard rule engine: rule packs written as YAML, whose conditions are CEL
// expressions over the typed facts of a request (mla.Facts, variable `request`), compiled once and
// evaluated by the screening activity. Every finding carries its rule ID, article, confidence tag and the
// facts that made it fire.
package rules

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/internal/yamlerr"
	"github.com/mlasim/mlasim/mla"
)

//go:embed packs/*.yaml packs/tests/*.yaml
var builtin embed.FS

// Rule is one rule of a pack, as written.
type Rule struct {
	ID      string  `yaml:"id"`
	Article string  `yaml:"article"`
	Tag     mla.Tag `yaml:"tag"`
	// Source names where the article and its paragraph come from, when that is not the pack's source
	// (a secondary source that fixes a paragraph number, for example).
	Source    string        `yaml:"source"`
	Kinds     []string      `yaml:"kinds"`
	Effect    mla.Effect    `yaml:"effect"`
	Ground    string        `yaml:"ground"`
	Duty      string        `yaml:"duty"`
	Condition mla.Condition `yaml:"condition"`
	Remedy    mla.Remedy    `yaml:"remedy"`
	// Implements is, for a policy rule, the instrument rule whose ground it invokes.
	Implements string `yaml:"implements"`
	// Expand, on a bar rule, is "forbidden-grounds": the rule bars every ground the screening found that
	// the requested State's own law does not let it invoke (mla.Law.Allows), each cited to this rule.
	Expand  string `yaml:"expand"`
	When    string `yaml:"when"`
	Explain string `yaml:"explain"`
}

// Pack is a rule pack file: an instrument's rules, or a State policy.
type Pack struct {
	Name  string `yaml:"pack"`
	Title string `yaml:"title"`
	// Type is "instrument" or "policy".
	Type string `yaml:"type"`
	// Source says where the rules come from.
	Source string `yaml:"source"`
	// Applies is a CEL condition: the pack's rules are evaluated only when it holds.
	Applies string `yaml:"applies"`
	// SubstantialGrounds is, for a policy, the weight of the signs of targeting (mla.AssessTargeting) that
	// the requested State takes for substantial grounds; zero means mla.DefaultSubstantialGrounds.
	SubstantialGrounds int    `yaml:"substantial_grounds"`
	Rules              []Rule `yaml:"rules"`
}

// Error is a problem in a pack file, located by file, line and column.
type Error = yamlerr.Error

// Errors is a list of pack errors, reported together.
type Errors = yamlerr.List

type compiledRule struct {
	Rule
	pack string
	// article is the citation a finding shows: the rule's article, or for a policy rule the policy pack.
	article string
	file    string
	line    int
	tag     mla.Tag
	effect  mla.Effect
	kinds   map[mla.RequestKind]bool
	prg     condition
	factRef []factRef
	// explain is the rule's explanation, trimmed once.
	explain string
	// readsTargeting: the condition reads what the screening derives from the signs of targeting, so a
	// finding names the evidence weighed.
	readsTargeting bool
}

type factRef struct {
	path string
	prg  condition
}

type compiledPack struct {
	Pack
	file    string
	applies *condition
	rules   []*compiledRule
}

// Engine holds compiled packs. It is safe for concurrent use.
type Engine struct {
	files       map[string][]byte
	env         *cel.Env
	instruments []*compiledPack
	policies    map[string]*compiledPack
}

// NewEnv returns the CEL environment rule conditions are checked against: one variable, `request`, of
// type mla.Facts (field names as in its JSON tags).
func NewEnv() (*cel.Env, error) {
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeOf(mla.Facts{}), ext.ParseStructTag("json")),
		cel.Variable("request", cel.ObjectType("mla.Facts")),
	)
}

// sharedEnv is the CEL environment every compilation uses: it is immutable and safe for concurrent use,
// and building it takes longer than compiling a pack.
var sharedEnv = sync.OnceValues(NewEnv)

// LoadBuiltin compiles the packs shipped with mlasim.
func LoadBuiltin() (*Engine, error) {
	sub, err := fs.Sub(builtin, "packs")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub, "rules/packs/")
}

// BuiltinFS exposes the built-in packs (for listing and copying).
func BuiltinFS() fs.FS {
	sub, _ := fs.Sub(builtin, "packs")
	return sub
}

// LoadFS compiles every *.yaml pack in fsys; prefix is prepended to file names in errors.
func LoadFS(fsys fs.FS, prefix string) (*Engine, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	files := map[string][]byte{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		files[prefix+n] = b
	}
	return Compile(files)
}

// Compile parses and compiles packs given as file name to content. All errors are returned together,
// each with its file, line and column; an engine is returned only when there are none.
func Compile(files map[string][]byte) (*Engine, error) {
	env, err := sharedEnv()
	if err != nil {
		return nil, err
	}
	e := &Engine{files: files, env: env, policies: map[string]*compiledPack{}}
	var errs Errors
	ids := map[string]string{}
	for _, name := range mla.SortedKeys(files) {
		cp, perrs := compileFile(env, name, files[name])
		errs = append(errs, perrs...)
		if cp == nil {
			continue
		}
		for _, r := range cp.rules {
			if prev, dup := ids[r.ID]; dup {
				errs = append(errs, &Error{File: name, Field: "id", Msg: fmt.Sprintf("duplicate rule ID %q (also in %s)", r.ID, prev)})
			}
			ids[r.ID] = name
		}
		if cp.Type == "policy" {
			if _, dup := e.policies[cp.Name]; dup {
				errs = append(errs, &Error{File: name, Field: "pack", Msg: fmt.Sprintf("duplicate policy name %q", cp.Name)})
			}
			e.policies[cp.Name] = cp
		} else {
			e.instruments = append(e.instruments, cp)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return e, nil
}

// compileFile decodes and compiles one pack file, returning every problem with its location.
func compileFile(env *cel.Env, file string, data []byte) (*compiledPack, Errors) {
	var p Pack
	doc, err := yamlerr.Decode(file, data, &p)
	if err != nil {
		return nil, asErrors(err)
	}
	c := &packCompiler{env: env, file: file, doc: doc}
	cp := c.pack(p)
	return cp, c.errs
}

type packCompiler struct {
	env  *cel.Env
	file string
	doc  *yaml.Node
	errs Errors
}

func (c *packCompiler) at(path, format string, args ...any) {
	c.errs = append(c.errs, yamlerr.AtPath(c.file, c.doc, path, fmt.Sprintf(format, args...)))
}

// ruleAt records a problem of a rule's field, labelled with the rule's ID when it has one.
func (c *packCompiler) ruleAt(i int, r Rule, field, format string, args ...any) {
	path := mla.Index("rules", i) + "." + field
	e := yamlerr.AtPath(c.file, c.doc, path, fmt.Sprintf(format, args...))
	if r.ID != "" {
		e.Field = "rule " + r.ID + "." + field
	}
	c.errs = append(c.errs, e)
}

func (c *packCompiler) pack(p Pack) *compiledPack {
	if p.Name == "" {
		c.at("pack", "missing pack name")
	}
	if p.Type != "instrument" && p.Type != "policy" {
		c.at("type", "must be instrument or policy, not %q", p.Type)
	}
	if p.SubstantialGrounds != 0 {
		switch max := mla.MaxSubstantialGrounds(); {
		case p.Type != "policy":
			c.at("substantial_grounds", "only a policy pack sets the threshold of substantial grounds: it is the requested State's assessment")
		case p.SubstantialGrounds < 1 || p.SubstantialGrounds > max:
			c.at("substantial_grounds", "the threshold of substantial grounds is a weight between 1 and %d, not %d", max, p.SubstantialGrounds)
		}
	}
	cp := &compiledPack{Pack: p, file: c.file}
	if p.Applies != "" {
		prg, err := compileExpr(c.env, p.Applies)
		if err != nil {
			c.errs = append(c.errs, celError(c.file, yamlerr.Find(c.doc, "applies"), "applies", err))
		}
		cp.applies = &prg
	}
	for i, r := range p.Rules {
		if cr := c.rule(p, i, r); cr != nil {
			cp.rules = append(cp.rules, cr)
		}
	}
	return cp
}

// rule checks and compiles one rule.
func (c *packCompiler) rule(p Pack, i int, r Rule) *compiledRule {
	at := func(field, format string, args ...any) { c.ruleAt(i, r, field, format, args...) }
	c.checkEffect(p, r, at)
	if p.Type == "instrument" && r.Tag == "" {
		at("tag", "missing confidence tag (P, S or U)")
	}
	if p.Type == "instrument" && r.Article == "" {
		at("article", "missing article citation")
	}
	if strings.TrimSpace(r.Explain) == "" {
		at("explain", "missing plain-words explanation")
	}
	kinds := c.kinds(p, r, at)
	if r.ID == "" {
		at("id", "missing rule ID")
	}
	if strings.TrimSpace(r.When) == "" {
		at("when", "missing condition")
		return nil
	}
	path := mla.Index("rules", i)
	prg, checked, err := compileChecked(c.env, r.When)
	if err != nil {
		e := celError(c.file, yamlerr.Find(c.doc, path+".when"), path+".when", err)
		if r.ID != "" {
			e.Field = "rule " + r.ID + ".when"
		}
		c.errs = append(c.errs, e)
		return nil
	}
	refs, err := factRefs(c.env, checked)
	if err != nil {
		at("when", "%v", err)
	}
	refs = withDerivedFrom(c.env, refs)
	line := yamlerr.Find(c.doc, path).Line
	reads := slices.ContainsFunc(refs, func(f factRef) bool { return strings.HasPrefix(f.path, "targeting") })
	article := r.Article
	if article == "" && r.Effect == mla.EffectInvoke {
		// A policy rule is the State's choice, not law: it points at the policy pack, and the ground it
		// invokes carries the instrument's citation and tag.
		article = "policy of the requested State: " + p.Title
	}
	return &compiledRule{Rule: r, pack: p.Name, article: article, file: c.file, line: line, tag: r.Tag, effect: r.Effect, kinds: kinds, prg: prg, factRef: refs,
		explain: strings.TrimSpace(r.Explain), readsTargeting: reads}
}

type atFunc func(field, format string, args ...any)

// checkEffect checks what a rule's effect requires: a ground, duty, condition or remedy, and the effects
// each type of pack may use.
func (c *packCompiler) checkEffect(p Pack, r Rule, at atFunc) {
	switch {
	case r.Effect == "":
		at("effect", "missing effect (known: %s)", effectList())
	case p.Type == "policy" && r.Effect != mla.EffectInvoke:
		at("effect", "a policy pack's rules must have effect invoke")
	case p.Type == "instrument" && r.Effect == mla.EffectInvoke:
		at("effect", "effect invoke belongs in a policy pack")
	}
	checkExpand(r, at)
	switch r.Effect {
	case mla.EffectBar:
		if r.Ground == "" && r.Expand == "" {
			at("ground", "a bar rule must name its ground (or expand: %s)", ExpandForbiddenGrounds)
		}
	case mla.EffectGround, mla.EffectInvoke, mla.EffectPostpone, mla.EffectMandatory:
		if r.Ground == "" {
			at("ground", "a %s rule must name its ground", r.Effect)
		}
	case mla.EffectDuty:
		if r.Duty == "" {
			at("duty", "a duty rule must name its duty (%s)", mla.JoinDuties())
		} else if !slices.Contains(mla.Duties, r.Duty) {
			at("duty", "unknown duty %q: the workflows carry out %s", r.Duty, mla.JoinDuties())
		}
	case mla.EffectCondition:
		if r.Condition == "" {
			at("condition", "a condition rule must name its condition")
		}
	}
	if r.Effect == mla.EffectInvoke && r.Remedy == "" {
		at("remedy", "an invoke rule needs a remedy: refuse, partial, conditions or postpone")
	}
}

// checkExpand checks a rule's expansion: only a bar rule expands, and then names no ground of its own.
func checkExpand(r Rule, at atFunc) {
	switch {
	case r.Expand == "":
	case r.Expand != ExpandForbiddenGrounds:
		at("expand", "the only expansion is %s, not %q", ExpandForbiddenGrounds, r.Expand)
	case r.Effect != mla.EffectBar:
		at("expand", "only a bar rule expands to the grounds the requested State's law forbids")
	case r.Ground != "":
		at("ground", "a rule that expands to the forbidden grounds names no ground of its own")
	}
}

// ExpandForbiddenGrounds is the expansion of a bar rule over the grounds the requested State's law forbids.
const ExpandForbiddenGrounds = "forbidden-grounds"

func effectList() string {
	names := make([]string, len(mla.Effects))
	for i, e := range mla.Effects {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// kinds reads the request kinds a rule applies to ("all" for every kind; a policy rule applies to all
// kinds unless it says otherwise).
func (c *packCompiler) kinds(p Pack, r Rule, at atFunc) map[mla.RequestKind]bool {
	kinds := map[mla.RequestKind]bool{}
	if len(r.Kinds) == 0 {
		if p.Type != "policy" {
			at("kinds", "list the request kinds the rule applies to (or all)")
		}
		for _, k := range mla.Kinds {
			kinds[k] = true
		}
		return kinds
	}
	for j, k := range r.Kinds {
		if k == "all" {
			for _, kk := range mla.Kinds {
				kinds[kk] = true
			}
			continue
		}
		kk, err := mla.ParseKind(k)
		if err != nil {
			at(mla.Index("kinds", j), "%v", err)
			continue
		}
		kinds[kk] = true
	}
	return kinds
}

// asErrors returns err as a list of located errors.
func asErrors(err error) Errors {
	var l Errors
	if errors.As(err, &l) {
		return l
	}
	return Errors{err}
}

func compileExpr(env *cel.Env, expr string) (condition, error) {
	prg, _, err := compileChecked(env, expr)
	return prg, err
}

func compileChecked(env *cel.Env, expr string) (condition, *cel.Ast, error) {
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return condition{}, nil, iss.Err()
	}
	if checked.OutputType() != cel.BoolType {
		return condition{}, nil, fmt.Errorf("condition must be a bool, it is a %s", checked.OutputType())
	}
	c, err := program(env, checked)
	return c, checked, err
}

// CostLimit bounds the work one condition may do for one request, in CEL's cost units (about one unit per
// operation; the built-in conditions cost under 50). A condition that needs more fails its screening
// with an error instead of holding a worker's CPU: conditions come from users' packs.
const CostLimit = 100000

// MaxFactSize is the size the static cost estimate assumes for every list and string of the facts.
const MaxFactSize = 256

// condition is a compiled CEL expression. One whose worst-case cost, estimated when it compiles, stays
// under CostLimit runs as it is; any other runs with cost tracking under the limit and stops when its
// context ends (cel-go checks for interrupts inside comprehensions).
type condition struct {
	prg     cel.Program
	tracked bool
}

func program(env *cel.Env, checked *cel.Ast) (condition, error) {
	est, err := env.EstimateCost(checked, factSizes{})
	if err == nil && est.Max <= CostLimit {
		prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
		return condition{prg: prg}, err
	}
	prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(CostLimit), cel.InterruptCheckFrequency(64))
	return condition{prg: prg, tracked: true}, err
}

func (c condition) eval(ctx context.Context, act any) (ref.Val, error) {
	if c.tracked {
		v, _, err := c.prg.ContextEval(ctx, act)
		return v, err
	}
	v, _, err := c.prg.Eval(act)
	return v, err
}

// factSizes bounds the facts' lists and strings for the static cost estimate.
type factSizes struct{}

func (factSizes) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	if p := n.Path(); len(p) > 0 && p[0] == "request" {
		return &cost.SizeEstimate{Min: 0, Max: MaxFactSize}
	}
	return nil
}

func (factSizes) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// factRefs lists the request fields an expression reads (request.a.b), each with a program that reads it,
// so a finding can say which facts it rested on.
func factRefs(env *cel.Env, checked *cel.Ast) ([]factRef, error) {
	nav := ast.NavigateAST(checked.NativeRep())
	seen := map[string]bool{}
	var refs []factRef
	for _, sel := range ast.MatchDescendants(nav, ast.KindMatcher(ast.SelectKind)) {
		p, ok := selectPath(sel)
		if !ok || seen[p] {
			continue
		}
		// Keep the longest paths only: request.offence.political, not request.offence.
		if parent, ok := sel.Parent(); ok && parent.Kind() == ast.SelectKind {
			continue
		}
		seen[p] = true
		prg, err := compileAny(env, p)
		if err != nil {
			return nil, err
		}
		refs = append(refs, factRef{path: strings.TrimPrefix(p, "request."), prg: prg})
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].path < refs[j].path })
	return refs, nil
}

// derivedFrom names, for each fact the screening derives, the facts it rests on: a finding that reads a
// derived fact shows them too, so it says why (the category sedition, not only "political").
var derivedFrom = map[string][]string{
	"offence.political":   {"offence.category", "offence.motive", "offence.violent"},
	"essential_interests": {"affects"},
}

// withDerivedFrom adds to a rule's fact references the facts its derived facts rest on.
func withDerivedFrom(env *cel.Env, refs []factRef) []factRef {
	have := map[string]bool{}
	for _, r := range refs {
		have[r.path] = true
	}
	for _, r := range slices.Clone(refs) {
		for _, p := range derivedFrom[r.path] {
			if have[p] {
				continue
			}
			prg, err := compileAny(env, "request."+p)
			if err != nil {
				continue
			}
			have[p] = true
			refs = append(refs, factRef{path: p, prg: prg})
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].path < refs[j].path })
	return refs
}

func compileAny(env *cel.Env, expr string) (condition, error) {
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return condition{}, iss.Err()
	}
	return program(env, checked)
}

func selectPath(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		return e.AsIdent(), e.AsIdent() == "request"
	case ast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return "", false
		}
		base, ok := selectPath(s.Operand())
		if !ok {
			return "", false
		}
		return base + "." + s.FieldName(), true
	}
	return "", false
}

// Screen evaluates every applicable instrument pack and the named policy pack against the facts.
// An unknown policy is an error; an empty policy name evaluates instruments only. Each condition runs
// under CostLimit, and evaluation stops when ctx ends.
func (e *Engine) Screen(ctx context.Context, f mla.Facts, policy string) (mla.Screening, error) {
	return e.ScreenWithout(ctx, f, policy, nil)
}

// prepare returns the packs that screen a request under a policy (the instruments, then the policy), and
// derives the facts the policy's threshold decides: the weight of the signs of targeting against it.
func (e *Engine) prepare(f *mla.Facts, policy string) ([]*compiledPack, error) {
	packs := e.instruments
	threshold := 0
	if policy != "" {
		p, ok := e.policies[policy]
		if !ok {
			return nil, fmt.Errorf("unknown policy %q (known: %s)", policy, strings.Join(e.Policies(), ", "))
		}
		packs = append(packs[:len(packs):len(packs)], p)
		threshold = p.SubstantialGrounds
	}
	f.Case.Derive()
	f.Targeting = mla.AssessTargeting(f.Case, f.Requested.Code, f.Requesting.Record, threshold)
	return packs, nil
}

// ScreenWithout is Screen with the rules of the given confidence tags left out, so an analyst can see
// which conclusions rest on them (for example every rule tagged [U], unconfirmed).
func (e *Engine) ScreenWithout(ctx context.Context, f mla.Facts, policy string, skip []mla.Tag) (mla.Screening, error) {
	// The facts and the findings live in scratch space reused across screenings (a screening runs for
	// every request and every measure); the screening returned keeps an exact copy of the findings.
	sc := scratches.Get().(*scratch)
	sc.facts = f
	s, err := e.screen(ctx, &sc.facts, policy, skip, sc.findings[:0])
	used := s.Findings
	s.Findings = slices.Clone(used)
	clear(used)
	sc.findings, sc.facts = used[:0], mla.Facts{}
	scratches.Put(sc)
	return s, err
}

// scratch is the reusable space of one screening.
type scratch struct {
	facts    mla.Facts
	findings []mla.Finding
}

var scratches = sync.Pool{New: func() any { return &scratch{findings: make([]mla.Finding, 0, 32)} }}

// screen screens the facts at f, gathering findings in buf.
func (e *Engine) screen(ctx context.Context, f *mla.Facts, policy string, skip []mla.Tag, buf []mla.Finding) (mla.Screening, error) {
	packs, err := e.prepare(f, policy)
	if err != nil {
		return mla.Screening{}, err
	}
	act, err := cel.NewActivation(map[string]any{"request": f})
	if err != nil {
		return mla.Screening{}, err
	}
	s := mla.Screening{Findings: buf}
	var expanders []mla.Finding
	kind := f.Kind
	for _, p := range packs {
		if p.applies != nil {
			ok, err := evalBool(ctx, *p.applies, act)
			if err != nil {
				return s, fmt.Errorf("pack %s applies: %w", p.Name, err)
			}
			if !ok {
				continue
			}
		}
		if err := ctx.Err(); err != nil {
			return s, err
		}
		for _, r := range p.rules {
			if !r.kinds[kind] || (skip != nil && slices.Contains(skip, r.tag)) {
				continue
			}
			s.Evaluated++
			ok, err := evalBool(ctx, r.prg, act)
			if err != nil {
				return s, fmt.Errorf("rule %s (%s:%d): %w", r.ID, r.file, r.line, err)
			}
			if !ok {
				continue
			}
			fd := r.finding(ctx, act, f.Targeting.Evidence)
			switch {
			case r.Expand != "":
				expanders = append(expanders, fd)
			case r.effect == mla.EffectMandatory:
				// The State's own law decides, not its policy: the ground, and its invocation to refuse.
				fd.Effect, fd.Required = mla.EffectGround, true
				inv := fd
				inv.Effect, inv.Required, inv.Remedy = mla.EffectInvoke, false, mla.RemedyRefuse
				s.Findings = append(s.Findings, fd, inv)
			default:
				s.Findings = append(s.Findings, fd)
			}
		}
	}
	s.Findings = append(s.Findings, forbiddenGrounds(s, f.Requested.Law, expanders)...)
	return s, nil
}

// forbiddenGrounds bars, for each expanding bar rule that fired, every discretionary ground the screening
// found that the requested State's law does not let it invoke.
func forbiddenGrounds(s mla.Screening, law mla.Law, expanders []mla.Finding) []mla.Finding {
	var out []mla.Finding
	for _, x := range expanders {
		for _, g := range s.Available() {
			if g.Required || law.Allows(g.Ground) {
				continue
			}
			b := x
			b.Ground = g.Ground
			out = append(out, b)
		}
	}
	return out
}

func (r *compiledRule) finding(ctx context.Context, act any, evidence string) mla.Finding {
	var facts map[string]string
	if n := len(r.factRef); n > 0 || r.readsTargeting {
		facts = make(map[string]string, n+1)
	}
	for _, ref := range r.factRef {
		v, err := ref.prg.eval(ctx, act)
		if err == nil {
			facts[ref.path] = factText(v.Value())
		}
	}
	if r.readsTargeting {
		facts["targeting.evidence"] = evidence
	}
	return mla.Finding{
		RuleID: r.ID, Pack: r.pack, Article: r.article, Tag: r.tag, Effect: r.effect,
		Ground: r.Ground, Duty: r.Duty, Condition: mla.Condition(r.Condition), Remedy: mla.Remedy(r.Remedy),
		Implements: r.Implements, Explain: r.explain, Facts: facts,
	}
}

// factText writes a fact's value as an explanation shows it; the common kinds without fmt, which
// screening calls for every fact of every rule that fires.
func factText(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case []string:
		return "[" + strings.Join(x, " ") + "]"
	}
	return fmt.Sprint(v)
}

func evalBool(ctx context.Context, c condition, act any) (bool, error) {
	v, err := c.eval(ctx, act)
	if err != nil {
		return false, err
	}
	b, ok := v.Value().(bool)
	if !ok {
		return false, errors.New("condition did not give a bool")
	}
	return b, nil
}

// With compiles this engine's packs together with more packs (file name to content), such as a
// scenario's own policy. Errors name the extra files.
func (e *Engine) With(extra map[string][]byte) (*Engine, error) {
	files := make(map[string][]byte, len(e.files)+len(extra))
	for k, v := range e.files {
		files[k] = v
	}
	for k, v := range extra {
		if _, dup := files[k]; dup {
			return nil, fmt.Errorf("%s: a pack of that name is already loaded", k)
		}
		files[k] = v
	}
	return Compile(files)
}

// PackSetHash names a set of packs (file name to content) by content: the same files give the same hash
// on every machine, so a request can refer to a scenario's own packs without carrying them.
func PackSetHash(files map[string][]byte) string {
	if len(files) == 0 {
		return ""
	}
	h := sha256.New()
	for _, k := range mla.SortedKeys(files) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(files[k])
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Policies lists the names of the loaded policy packs.
func (e *Engine) Policies() []string {
	return mla.SortedKeys(e.policies)
}

// Grounds lists, sorted, every ground a loaded rule names (as a ground, a bar or a policy's invocation).
func (e *Engine) Grounds() []string {
	seen := map[string]bool{}
	packs := slices.Clone(e.instruments)
	for _, name := range e.Policies() {
		packs = append(packs, e.policies[name])
	}
	for _, p := range packs {
		for _, r := range p.rules {
			if r.Ground != "" {
				seen[r.Ground] = true
			}
		}
	}
	return mla.SortedKeys(seen)
}

// HasPolicy reports whether a policy pack of that name is loaded.
func (e *Engine) HasPolicy(name string) bool {
	_, ok := e.policies[name]
	return ok
}

// RuleCount is the number of compiled rules.
func (e *Engine) RuleCount() int {
	n := 0
	for _, p := range e.instruments {
		n += len(p.rules)
	}
	for _, p := range e.policies {
		n += len(p.rules)
	}
	return n
}

// celError places a CEL compile error at the line of the `when` value, adding the CEL column.
func celError(file string, n *yaml.Node, field string, err error) *Error {
	e := yamlerr.At(file, n, field, "CEL: "+strings.ReplaceAll(err.Error(), "\n", " "))
	// Literal and folded block scalars start on the next line.
	if n != nil && (n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle) {
		e.Line++
	}
	return e
}

// PackFiles lists the built-in pack file names.
func PackFiles() []string {
	names, _ := fs.Glob(BuiltinFS(), "*.yaml")
	for i, n := range names {
		names[i] = path.Join("rules/packs", n)
	}
	return names
}

// RuleIDs lists every rule's ID, instrument packs first, in file order.
func (e *Engine) RuleIDs() []string {
	var ids []string
	for _, p := range e.instruments {
		for _, r := range p.rules {
			ids = append(ids, r.ID)
		}
	}
	for _, name := range mla.SortedKeys(e.policies) {
		for _, r := range e.policies[name].rules {
			ids = append(ids, r.ID)
		}
	}
	return ids
}
