package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/invopop/jsonschema"
	"gopkg.in/yaml.v3"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite scenario.schema.json from the scenario types")

func generateSchema(t *testing.T) []byte {
	t.Helper()
	r := &jsonschema.Reflector{FieldNameTag: "yaml", RequiredFromJSONSchemaTags: true, AllowAdditionalProperties: false}
	for base, dir := range map[string]string{"github.com/mlasim/mlasim/scenarios": ".", "github.com/mlasim/mlasim/mla": "../mla"} {
		if err := r.AddGoComments(base, dir); err != nil {
			t.Fatal(err)
		}
	}
	s := r.Reflect(&File{})
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
