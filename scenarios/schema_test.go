package scenarios

import (
	"bytes"
	"encoding"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
	jsonschema6 "github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite scenario.schema.json from the scenario types")

// enumerations are the value types of scenario files whose values the loader checks, with every value it
// accepts: the schema lists them, so an editor flags what 'mlasim run' would reject.
var enumerations = map[reflect.Type][]string{
	reflect.TypeFor[mla.RequestKind](): names(mla.Kinds),
	reflect.TypeFor[mla.Channel]():     names(mla.Channels),
	reflect.TypeFor[mla.Basis]():       names(mla.Bases),
	reflect.TypeFor[mla.Status]():      names(mla.Statuses),
	reflect.TypeFor[mla.Actor]():       names(mla.Actors),
	reflect.TypeFor[mla.Mode]():        names(mla.Modes),
	reflect.TypeFor[mla.Record]():      names(mla.Records),
	reflect.TypeFor[mla.Role]():        names(mla.Roles),
	reflect.TypeFor[mla.UNCCStatus]():  names(mla.UNCCStatuses),
	reflect.TypeFor[mla.Tri]():         names(mla.Tris),
	reflect.TypeFor[mla.SignKind]():    names(mla.SignKinds),
	reflect.TypeFor[mla.Motive]():      names(mla.Motives),
	reflect.TypeFor[mla.Interest]():    names(mla.Interests),
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// treatySchema is a world's treaty: a pair of State codes, or the mapping of its terms.
func treatySchema() *jsonschema.Schema {
	terms := (&jsonschema.Reflector{FieldNameTag: "yaml", AllowAdditionalProperties: false, DoNotReference: true,
		Mapper: func(rt reflect.Type) *jsonschema.Schema {
			if rt == reflect.TypeFor[mla.Condition]() {
				s := &jsonschema.Schema{Type: "string"}
				for _, v := range mla.Conditions {
					s.Enum = append(s.Enum, string(v))
				}
				return s
			}
			return nil
		}}).Reflect(&treatyTerms{})
	terms.Version, terms.ID = "", ""
	terms.Required = []string{"parties", "source"}
	pair := &jsonschema.Schema{Type: "string", Pattern: `^[A-Z]{2}-[A-Z]{2}$`, Description: "two State codes, e.g. NL-US: a treaty whose terms are not stated"}
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{pair, terms},
		Description: "a bilateral MLA treaty: a pair of State codes, or its terms (parties, name, grounds, duties, conditions, min_penalty_years, source)"}
}

func generateSchema(t *testing.T) []byte {
	t.Helper()
	r := &jsonschema.Reflector{FieldNameTag: "yaml", RequiredFromJSONSchemaTags: true, AllowAdditionalProperties: false,
		Mapper: func(rt reflect.Type) *jsonschema.Schema {
			if rt == reflect.TypeFor[mla.Duration]() {
				return &jsonschema.Schema{Type: "string", Pattern: `^\s*([0-9]+(\.[0-9]+)?[wdhms])+\s*$`,
					Description: "a legal duration: numbers with units w, d, h, m, s, summed (60d, 1d12h, 1.5d)"}
			}
			if rt == reflect.TypeFor[mla.Date]() {
				return &jsonschema.Schema{Type: "string", Format: "date", Description: "a legal date, YYYY-MM-DD (UTC)"}
			}
			if rt == reflect.TypeFor[TreatySpec]() {
				return treatySchema()
			}
			values, ok := enumerations[rt]
			if !ok {
				return nil
			}
			s := &jsonschema.Schema{Type: "string"}
			for _, v := range values {
				s.Enum = append(s.Enum, v)
			}
			return s
		}}
	for base, dir := range map[string]string{"github.com/mlasim/mlasim/scenarios": ".", "github.com/mlasim/mlasim/mla": "../mla"} {
		if err := r.AddGoComments(base, dir); err != nil {
			t.Fatal(err)
		}
	}
	s := r.Reflect(&File{})
	engine, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	// Policies and grounds come from the built-in rule packs.
	policy := &jsonschema.Schema{Type: "string", Description: "a policy pack of the built-in rules"}
	for _, p := range engine.Policies() {
		policy.Enum = append(policy.Enum, p)
	}
	ground := &jsonschema.Schema{Type: "string", Description: "a ground the built-in rules name"}
	for _, g := range engine.Grounds() {
		ground.Enum = append(ground.Enum, g)
	}
	for _, def := range []string{"State", "StateSpec", "Inject", "Policy"} {
		if d, ok := s.Definitions[def]; ok {
			if _, ok := d.Properties.Get("policy"); ok {
				d.Properties.Set("policy", policy)
			}
		}
	}
	// A request's actors map roles to modes: the roles are the keys.
	for _, d := range s.Definitions {
		if a, ok := d.Properties.Get("actors"); ok {
			a.PropertyNames = &jsonschema.Schema{Type: "string"}
			for _, v := range enumerations[reflect.TypeFor[mla.Actor]()] {
				a.PropertyNames.Enum = append(a.PropertyNames.Enum, v)
			}
		}
	}
	// A generator's signs map kinds of signs to shares: the kinds are the keys.
	for _, name := range []string{"GeneratorSpec", "AbusiveSpec"} {
		if a, ok := s.Definitions[name].Properties.Get("signs"); ok {
			a.PropertyNames = &jsonschema.Schema{Type: "string"}
			for _, v := range enumerations[reflect.TypeFor[mla.SignKind]()] {
				a.PropertyNames.Enum = append(a.PropertyNames.Enum, v)
			}
		}
	}
	// A State's law names grounds and measures.
	if d, ok := s.Definitions["Law"]; ok {
		kinds := &jsonschema.Schema{Type: "string"}
		for _, v := range enumerations[reflect.TypeFor[mla.RequestKind]()] {
			kinds.Enum = append(kinds.Enum, v)
		}
		for name, items := range map[string]*jsonschema.Schema{"permits": ground, "forbids": ground, "knows": kinds} {
			if p, ok := d.Properties.Get(name); ok {
				p.Items = items
			}
		}
		if m, ok := d.Properties.Get("min_penalty"); ok {
			m.PropertyNames = kinds
		}
	}
	// A treaty's terms name grounds and duties.
	if d, ok := s.Definitions["WorldSpec"]; ok {
		if tr, ok := d.Properties.Get("treaties"); ok && tr.Items != nil && len(tr.Items.OneOf) == 2 {
			terms := tr.Items.OneOf[1]
			duty := &jsonschema.Schema{Type: "string"}
			for _, v := range mla.Duties {
				duty.Enum = append(duty.Enum, v)
			}
			for name, items := range map[string]*jsonschema.Schema{"grounds": ground, "duties": duty} {
				if p, ok := terms.Properties.Get(name); ok {
					p.Items = items
				}
			}
		} else {
			t.Fatal("the schema has no treaties of two forms")
		}
	}
	if d, ok := s.Definitions["Expectation"]; ok {
		if _, ok := d.Properties.Get("grounds"); ok {
			d.Properties.Set("grounds", &jsonschema.Schema{Type: "array", Items: ground})
		}
	}
	s.ID = "https://mlasim.example/scenario.schema.json"
	s.Title = "mlasim scenario"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// The committed schema matches the scenario types (go test ./scenarios -run TestSchema -update-schema).
func TestSchemaIsCurrent(t *testing.T) {
	got := generateSchema(t)
	if *updateSchema {
		if err := os.WriteFile("scenario.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, Schema) {
		t.Fatal("scenario.schema.json is out of date: go test ./scenarios -run TestSchema -update-schema")
	}
}

// Every library scenario is an instance of the schema's top-level shape: it uses only known keys.
func TestLibraryUsesSchemaKeys(t *testing.T) {
	var schema struct {
		Ref  string `json:"$ref"`
		Defs map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	top := schema.Defs["File"].Properties
	if len(top) < 8 {
		t.Fatalf("schema has %d top-level properties", len(top))
	}
	for _, n := range Names() {
		data, _ := library.ReadFile("library/" + n + ".yaml")
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for k := range doc {
			if _, ok := top[k]; !ok {
				t.Errorf("%s: key %q not in the schema", n, k)
			}
		}
	}
}

// The schema's enumerations and the loader agree: every value the schema lists the loader accepts, and a
// value outside the list is refused by both.
func TestSchemaEnumerationsMatchTheLoader(t *testing.T) {
	var schema struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	enums := map[string]bool{}
	var collect func(raw json.RawMessage)
	collect = func(raw json.RawMessage) {
		var node struct {
			Enum     []string                   `json:"enum"`
			Items    json.RawMessage            `json:"items"`
			Keys     json.RawMessage            `json:"propertyNames"`
			Patterns map[string]json.RawMessage `json:"patternProperties"`
			Values   json.RawMessage            `json:"additionalProperties"`
		}
		if json.Unmarshal(raw, &node) == nil {
			if len(node.Enum) > 0 {
				enums[strings.Join(node.Enum, "|")] = true
			}
			for _, sub := range append([]json.RawMessage{node.Items, node.Keys, node.Values}, slices.Collect(maps.Values(node.Patterns))...) {
				if sub != nil {
					collect(sub)
				}
			}
		}
	}
	for _, d := range schema.Defs {
		for _, raw := range d.Properties {
			collect(raw)
		}
	}
	for rt, values := range enumerations {
		if !enums[strings.Join(values, "|")] {
			t.Errorf("the schema lists no enumeration of %s (%v)", rt, values)
		}
		for _, v := range append(slices.Clone(values), "Refuzed") {
			p := reflect.New(rt).Interface().(encoding.TextUnmarshaler)
			err := p.UnmarshalText([]byte(v))
			if inList := slices.Contains(values, v); inList != (err == nil) {
				t.Errorf("%s %q: the schema says %v, the loader says %v", rt, v, inList, err)
			}
		}
	}
	engine, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	if !enums[strings.Join(engine.Policies(), "|")] || !enums[strings.Join(engine.Grounds(), "|")] {
		t.Errorf("the schema does not list the built-in policies %v and grounds %v", engine.Policies(), engine.Grounds())
	}
}

// compiledSchema is the committed schema, compiled by a JSON Schema validator as an editor would.
func compiledSchema(t *testing.T) *jsonschema6.Schema {
	t.Helper()
	doc, err := jsonschema6.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema6.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("scenario.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("scenario.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// instance reads a scenario file as the JSON value an editor validates.
func instance(t *testing.T, src []byte) any {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema6.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every library scenario is valid against the schema, and a misspelt kind, status, role or policy that
// the loader rejects the schema rejects too.
func TestSchemaValidatesWhatTheLoaderAccepts(t *testing.T) {
	sch := compiledSchema(t)
	engine, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names() {
		data, _ := library.ReadFile("library/" + n + ".yaml")
		if err := sch.Validate(instance(t, data)); err != nil {
			t.Errorf("%s, which loads, is invalid against the schema: %v", n, err)
		}
	}
	demo, _ := library.ReadFile("library/demo.yaml")
	for _, typo := range [][2]string{
		{"kind: stored-data", "kind: stored-dta"},
		{"role: journalist", "role: jornalist"},
		{"status: Refused,", "status: Refuzed,"},
		{"policy: strict-safeguards", "policy: strict-safeguard"},
		{"kind: preservation", "kind: preservaton"},
		{"\n    title: Ransomware on a hospital - preserve", "\n    # Ransomware on a hospital - preserve"}, // a request without a title
	} {
		if !bytes.Contains(demo, []byte(typo[0])) {
			t.Errorf("the demo has no %q to misspell", typo[0])
			continue
		}
		bad := bytes.Replace(demo, []byte(typo[0]), []byte(typo[1]), 1)
		if err := sch.Validate(instance(t, bad)); err == nil {
			t.Errorf("the schema accepts %q", typo[1])
		}
		if _, err := Parse("demo.yaml", bad, nil, engine); err == nil {
			t.Errorf("the loader accepts %q", typo[1])
		}
	}
}
