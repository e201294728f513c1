// Package yamlerr locates the errors gopkg.in/yaml.v3 reports, for messages that name a file and line.
package yamlerr

import (
	"errors"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Locate splits a yaml.v3 error into a 1-based line (0 when unknown) and the message without prefix.
//
// yaml.v3 reports a parser error ("did not find expected ...") at the 0-based line where the enclosing
// collection starts, while scanner and type errors are 1-based; Locate corrects the former.
func Locate(err error) (int, string) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if !strings.HasPrefix(msg, "line ") {
		return 0, msg
	}
	rest := strings.TrimPrefix(msg, "line ")
	i := strings.Index(rest, ":")
	if i <= 0 {
		return 0, msg
	}
	line, convErr := strconv.Atoi(rest[:i])
	if convErr != nil {
		return 0, msg
	}
	msg = strings.TrimSpace(rest[i+1:])
	if strings.HasPrefix(msg, "did not find expected") {
		line++
	}
	return line, msg
}
