package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/barrage-load/barrage/events"
)

var runSpecType = reflect.TypeFor[events.RunSpec]()

// Error is a problem with a spec file: "FILE:LINE: msg" on one line, the
// line left out when the problem is not tied to one. For Check it unwraps to
// the error of events.RunSpec.Validate, whose parts are *events.FieldError.
type Error = events.FileError

// Decode reads a RunSpec from data, a YAML or JSON document; name is the file
// name used to choose the format and in messages. It is JSON when name ends
// in .json, YAML when it ends in .yaml or .yml, and otherwise JSON when the
// first byte that is not a space is '{'. Every error is an *Error.
//
// Decode reads strictly: unknown fields, values of the wrong type, a second
// document and trailing data are errors. It does not validate: call Check
// after applying flags and defaults.
func Decode(data []byte, name string) (events.RunSpec, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var s events.RunSpec
	var err *Error
	if isJSON(data, name) {
		s, err = decodeJSON(data)
	} else {
		s, err = decodeYAML(data)
	}
	if err != nil {
		err.File = name
		return events.RunSpec{}, err
	}
	normalize(&s)
	if s.Load.Shape == "" && hasLoad(data, isJSON(data, name)) {
		// A load that is written, even as {rate: 0}, is meant: mark it so
		// that WithDefaults does not mistake it for no load at all.
		s.Load.Shape = events.ShapeConstant
	}
	return s, nil
}

// hasLoad reports whether the (already decoded, so valid) document has a
// load field.
func hasLoad(data []byte, isJSON bool) bool {
	if isJSON {
		var probe struct {
			Load json.RawMessage `json:"load"`
		}
		return json.Unmarshal(data, &probe) == nil && probe.Load != nil && string(probe.Load) != "null"
	}
	var probe struct {
		Load *yaml.Node `yaml:"load"`
	}
	return yaml.Unmarshal(data, &probe) == nil && probe.Load != nil && probe.Load.Tag != "!!null"
}

func isJSON(data []byte, name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return true
	case ".yaml", ".yml":
		return false
	}
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// normalize makes empty maps nil, so that a spec reads the same whether a
// map was written empty or left out.
func normalize(s *events.RunSpec) {
	for i := range s.Targets {
		if len(s.Targets[i].Headers) == 0 {
			s.Targets[i].Headers = nil
		}
	}
}

// emptySpec is the error for a document without content.
func emptySpec() *Error {
	return &Error{Msg: "the spec is empty (want " + want(runSpecType, syntaxYAML) + ")"}
}

// Load reads the spec file at path ("-" reads standard input) with Decode,
// then inlines each target's body_file and each scenario's csv.file, read
// relative to the spec file's directory (the working directory for
// standard input), so that the spec is self-contained. Every error is an
// *Error.
func Load(path string) (events.RunSpec, error) { return LoadFrom(path, os.Stdin) }

// LoadFrom is Load with stdin as the standard input that "-" reads: the one
// loader of spec files and specs piped in.
func LoadFrom(path string, stdin io.Reader) (events.RunSpec, error) {
	name, dir := path, filepath.Dir(path)
	var data []byte
	var err error
	if path == "-" {
		name, dir = "stdin", ""
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return events.RunSpec{}, &Error{File: name, Msg: "cannot read spec: " + reason(err), Err: err}
	}
	s, err := Decode(data, name)
	if err != nil {
		return events.RunSpec{}, err
	}
	for i := range s.Targets {
		t := &s.Targets[i]
		if t.BodyFile == "" {
			continue
		}
		field := fmt.Sprintf("targets[%d]", i)
		if t.Body != "" {
			return events.RunSpec{}, &Error{File: name, Msg: field + ": give body or body_file, not both"}
		}
		body, err := readText(name, dir, field+".body_file", t.BodyFile)
		if err != nil {
			return events.RunSpec{}, err
		}
		t.Body, t.BodyFile = body, ""
	}
	for i := range s.Scenarios {
		c := s.Scenarios[i].CSV
		if c == nil || c.File == "" {
			continue
		}
		field := fmt.Sprintf("scenarios[%d].csv", i)
		if c.Text != "" {
			return events.RunSpec{}, &Error{File: name, Msg: field + ": give text or file, not both"}
		}
		text, err := readText(name, dir, field+".file", c.File)
		if err != nil {
			return events.RunSpec{}, err
		}
		cc := *c
		cc.Text, cc.File = text, ""
		s.Scenarios[i].CSV = &cc
	}
	return s, nil
}

// readText reads the file a spec names in field (relative to the spec's
// directory dir; "" for a spec on standard input: the working directory),
// which must be UTF-8 text: it travels in a JSON string.
func readText(name, dir, field, file string) (string, error) {
	p, where := file, ""
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
		if dir == "" {
			where = " (relative to the working directory: the spec came from standard input)"
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", &Error{File: name, Err: err, Msg: fmt.Sprintf("%s: cannot read %s%s: %s", field, file, where, reason(err))}
	}
	if !utf8.Valid(b) {
		return "", &Error{File: name, Msg: fmt.Sprintf("%s: %s is not UTF-8 text (it travels in a JSON string)", field, file)}
	}
	return string(b), nil
}

// reason is err without the operation and path that the message already names.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Check validates s with events.RunSpec.Validate and reports every problem
// on one line (OneLine), such as
//
//	spec.yaml: targets[0].url: "example.com" has no scheme (want http:// or https://); load.rate: -1 is out of range (0 ≤ rate ≤ 10000000 per second)
//
// It returns nil if Validate finds no problem. It compiles no scenario: a
// spec that enters barrage goes through pkg/prepare, which does.
func Check(s events.RunSpec, name string) error { return OneLine(name, s.Validate()) }

// OneLine puts err, the problems of the spec named name (as
// events.RunSpec.Validate joins them), on one line: each "field: problem",
// joined by "; " and prefixed by name. The error is an *Error that unwraps
// to err; OneLine of nil is nil.
func OneLine(name string, err error) error {
	if err == nil {
		return nil
	}
	var msgs []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			msgs = append(msgs, e.Error())
		}
	} else {
		msgs = append(msgs, err.Error())
	}
	return &Error{File: name, Msg: strings.Join(msgs, "; "), Err: err}
}
