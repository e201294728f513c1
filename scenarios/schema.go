package scenarios

import (
	_ "embed"
)

// Schema is the JSON Schema of scenario files (draft 2020-12), for editors that validate YAML against it.
// It is generated from the scenario types by the schema test; see scenario.schema.json.
//
//go:embed scenario.schema.json
var Schema []byte
