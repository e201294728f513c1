// Package rules is the safeguard rule engine: rule packs written as YAML, whose conditions are CEL
// expressions over the typed facts of a request (mla.Facts, variable `request`), compiled once and
// evaluated by the screening activity. Every finding carries its rule ID, article, confidence tag and the
// facts that made it fire.
package rules

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/ext"
	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/internal/yamlerr"
	"github.com/mlasim/mlasim/mla"
)

//go:embed packs/*.yaml packs/tests/*.yaml
var builtin embed.FS

// Rule is one rule of a pack, as written.
type Rule struct {
	ID         string   `yaml:"id"`
	Article    string   `yaml:"article"`
	Tag        string   `yaml:"tag"`
	Kinds      []string `yaml:"kinds"`
	Effect     string   `yaml:"effect"`
	Ground     string   `yaml:"ground"`
	Duty       string   `yaml:"duty"`
	Condition  string   `yaml:"condition"`
	Remedy     string   `yaml:"remedy"`
	Implements string   `yaml:"implements"`
	When       string   `yaml:"when"`
	Explain    string   `yaml:"explain"`
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
	Rules   []Rule `yaml:"rules"`
}

// Error is a problem in a pack file, located by file, line and column.
type Error = yamlerr.Error

// Errors is a list of pack errors, reported together.
type Errors = yamlerr.List

type compiledRule struct {
	Rule
	pack      string
	packTitle string
	file      string
	line      int
	tag       mla.Tag
	effect    mla.Effect
	kinds     map[mla.RequestKind]bool
	prg       cel.Program
	factRef   []factRef
}

type factRef struct {
	path string
	prg  cel.Program
}

type compiledPack struct {
	Pack
	file    string
	applies cel.Program
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
	env, err := NewEnv()
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

var validEffects = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range mla.Effects {
		m[string(e)] = true
	}
	return m
}()

func compileFile(env *cel.Env, file string, data []byte) (*compiledPack, Errors) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	if len(root.Content) == 0 {
		return nil, Errors{&Error{File: file, Msg: "empty pack"}}
	}
	doc := root.Content[0]
	var errs Errors
	errs = append(errs, unknownFields(file, doc, reflect.TypeOf(Pack{}))...)
	if rules := yamlerr.MapValue(doc, "rules"); rules != nil {
		for _, rn := range rules.Content {
			errs = append(errs, unknownFields(file, rn, reflect.TypeOf(Rule{}))...)
		}
	}
	var p Pack
	if err := doc.Decode(&p); err != nil {
		return nil, append(errs, yamlError(file, err))
	}
	at := func(n *yaml.Node, field, msg string) *Error {
		if n == nil {
			n = doc
		}
		return yamlerr.At(file, n, field, msg)
	}
	if p.Name == "" {
		errs = append(errs, at(nil, "pack", "missing pack name"))
	}
	if p.Type != "instrument" && p.Type != "policy" {
		errs = append(errs, at(yamlerr.MapValue(doc, "type"), "type", fmt.Sprintf("must be instrument or policy, not %q", p.Type)))
	}
	cp := &compiledPack{Pack: p, file: file}
	if p.Applies != "" {
		prg, err := compileExpr(env, p.Applies)
		if err != nil {
			errs = append(errs, celError(file, yamlerr.MapValue(doc, "applies"), "applies", err))
		}
		cp.applies = prg
	}
	rulesNode := yamlerr.MapValue(doc, "rules")
	for i, r := range p.Rules {
		var rn *yaml.Node
		if rulesNode != nil && i < len(rulesNode.Content) {
			rn = rulesNode.Content[i]
		}
		field := func(name string) *yaml.Node {
			if v := yamlerr.MapValue(rn, name); v != nil {
				return v
			}
			return rn
		}
		where := fmt.Sprintf("rules[%d]", i)
		if r.ID != "" {
			where = fmt.Sprintf("rule %s", r.ID)
		}
		if r.ID == "" {
			errs = append(errs, at(rn, where+".id", "missing rule ID"))
		}
		if !validEffects[r.Effect] {
			errs = append(errs, at(field("effect"), where+".effect", fmt.Sprintf("unknown effect %q (known: ground, bar, duty, condition, postpone, completeness, invoke)", r.Effect)))
		}
		if p.Type == "policy" && r.Effect != string(mla.EffectInvoke) {
			errs = append(errs, at(field("effect"), where+".effect", "a policy pack's rules must have effect invoke"))
		}
		if p.Type == "instrument" && r.Effect == string(mla.EffectInvoke) {
			errs = append(errs, at(field("effect"), where+".effect", "effect invoke belongs in a policy pack"))
		}
		tag := mla.Tag(r.Tag)
		if p.Type == "instrument" && !tag.Valid() {
			errs = append(errs, at(field("tag"), where+".tag", fmt.Sprintf("confidence tag must be P, S or U, not %q", r.Tag)))
		}
		if p.Type == "instrument" && r.Article == "" {
			errs = append(errs, at(rn, where+".article", "missing article citation"))
		}
		if (r.Effect == "ground" || r.Effect == "bar" || r.Effect == "invoke" || r.Effect == "postpone") && r.Ground == "" {
			errs = append(errs, at(rn, where+".ground", "a "+r.Effect+" rule must name its ground"))
		}
		if r.Effect == "duty" && r.Duty == "" {
			errs = append(errs, at(rn, where+".duty", "a duty rule must name its duty (consult, reasons, inform, expedite)"))
		}
		if r.Effect == "condition" && r.Condition == "" {
			errs = append(errs, at(rn, where+".condition", "a condition rule must name its condition"))
		}
		if r.Effect == "invoke" {
			switch mla.Remedy(r.Remedy) {
			case mla.RemedyRefuse, mla.RemedyPartial, mla.RemedyConditions, mla.RemedyPostpone:
			default:
				errs = append(errs, at(field("remedy"), where+".remedy", fmt.Sprintf("remedy must be refuse, partial, conditions or postpone, not %q", r.Remedy)))
			}
		}
		if r.Explain == "" {
			errs = append(errs, at(rn, where+".explain", "missing plain-words explanation"))
		}
		kinds := map[mla.RequestKind]bool{}
		kindsNode := yamlerr.MapValue(rn, "kinds")
		for j, k := range r.Kinds {
			if k == "all" {
				for _, kk := range mla.Kinds {
					kinds[kk] = true
				}
				continue
			}
			kk, err := mla.ParseKind(k)
			if err != nil {
				var kn *yaml.Node
				if kindsNode != nil && j < len(kindsNode.Content) {
					kn = kindsNode.Content[j]
				}
				errs = append(errs, at(kn, where+".kinds", err.Error()))
			}
			kinds[kk] = true
		}
		if len(r.Kinds) == 0 && p.Type == "policy" {
			for _, kk := range mla.Kinds {
				kinds[kk] = true
			}
		} else if len(r.Kinds) == 0 {
			errs = append(errs, at(rn, where+".kinds", "list the request kinds the rule applies to (or all)"))
		}
		if r.When == "" {
			errs = append(errs, at(rn, where+".when", "missing condition"))
			continue
		}
		prg, checked, err := compileChecked(env, r.When)
		if err != nil {
			errs = append(errs, celError(file, yamlerr.MapValue(rn, "when"), where+".when", err))
			continue
		}
		refs, err := factRefs(env, checked)
		if err != nil {
			errs = append(errs, at(field("when"), where+".when", err.Error()))
		}
		line := 0
		if rn != nil {
			line = rn.Line
		}
		cp.rules = append(cp.rules, &compiledRule{Rule: r, pack: p.Name, packTitle: p.Title, file: file, line: line, tag: tag, effect: mla.Effect(r.Effect), kinds: kinds, prg: prg, factRef: refs})
	}
	return cp, errs
}

func compileExpr(env *cel.Env, expr string) (cel.Program, error) {
	prg, _, err := compileChecked(env, expr)
	return prg, err
}

func compileChecked(env *cel.Env, expr string) (cel.Program, *cel.Ast, error) {
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, nil, iss.Err()
	}
	if checked.OutputType() != cel.BoolType {
		return nil, nil, fmt.Errorf("condition must be a bool, it is a %s", checked.OutputType())
	}
	prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	return prg, checked, err
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

func compileAny(env *cel.Env, expr string) (cel.Program, error) {
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	return env.Program(checked)
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
// An unknown policy is an error; an empty policy name evaluates instruments only.
func (e *Engine) Screen(f mla.Facts, policy string) (mla.Screening, error) {
	packs := e.instruments
	if policy != "" {
		p, ok := e.policies[policy]
		if !ok {
			return mla.Screening{}, fmt.Errorf("unknown policy %q (known: %s)", policy, strings.Join(e.Policies(), ", "))
		}
		packs = append(packs[:len(packs):len(packs)], p)
	}
	act := map[string]any{"request": f}
	var s mla.Screening
	kind := mla.RequestKind(f.Kind)
	for _, p := range packs {
		if p.applies != nil {
			ok, err := evalBool(p.applies, act)
			if err != nil {
				return s, fmt.Errorf("pack %s applies: %w", p.Name, err)
			}
			if !ok {
				continue
			}
		}
		for _, r := range p.rules {
			if !r.kinds[kind] {
				continue
			}
			s.Evaluated++
			ok, err := evalBool(r.prg, act)
			if err != nil {
				return s, fmt.Errorf("rule %s: %w", r.ID, err)
			}
			if !ok {
				continue
			}
			s.Findings = append(s.Findings, r.finding(act))
		}
	}
	return s, nil
}

func (r *compiledRule) finding(act map[string]any) mla.Finding {
	facts := map[string]string{}
	for _, ref := range r.factRef {
		v, _, err := ref.prg.Eval(act)
		if err == nil {
			facts[ref.path] = fmt.Sprint(v.Value())
		}
	}
	article := r.Article
	if article == "" && r.effect == mla.EffectInvoke {
		// A policy rule is the State's choice, not law: it points at the policy pack, and the ground it
		// invokes carries the instrument's citation and tag.
		article = "policy of the requested State: " + r.packTitle
	}
	return mla.Finding{
		RuleID: r.ID, Pack: r.pack, Article: article, Tag: r.tag, Effect: r.effect,
		Ground: r.Ground, Duty: r.Duty, Condition: mla.Condition(r.Condition), Remedy: mla.Remedy(r.Remedy),
		Implements: r.Implements, Explain: strings.TrimSpace(r.Explain), Facts: facts,
	}
}

func evalBool(prg cel.Program, act map[string]any) (bool, error) {
	v, _, err := prg.Eval(act)
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

// Policies lists the names of the loaded policy packs.
func (e *Engine) Policies() []string {
	return mla.SortedKeys(e.policies)
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

func unknownFields(file string, n *yaml.Node, t reflect.Type) Errors {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	known := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		known[strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]] = true
	}
	var errs Errors
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !known[k.Value] {
			errs = append(errs, &Error{File: file, Line: k.Line, Column: k.Column, Field: k.Value, Msg: "unknown field"})
		}
	}
	return errs
}

func yamlError(file string, err error) *Error { return yamlerr.FromYAML(file, err, "malformed YAML: ") }

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
