package spec

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/barrage-load/barrage/events"
)

// decodeYAML reads one YAML document. yaml.v3 reports a wrong value as
// "line 3: cannot unmarshal !!str `fast` into float64", and an invalid
// duration without a line at all, so the document is first parsed into nodes
// and checked against the RunSpec type by yamlChecker, which names the field
// and its line. The strict yaml.v3 decoder then decodes it.
func decodeYAML(data []byte) (events.RunSpec, *Error) {
	if e := checkText(data); e != nil {
		return events.RunSpec{}, e
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return events.RunSpec{}, emptySpec()
		}
		return events.RunSpec{}, yamlError(data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return events.RunSpec{}, &Error{Line: docLine(&next),
			Msg: "a second YAML document (a spec is one document; remove the ---)"}
	case !errors.Is(err, io.EOF):
		return events.RunSpec{}, yamlError(data, err)
	}
	c := yamlChecker{seen: make(map[visit]bool)}
	if e := c.root(&root); e != nil {
		return events.RunSpec{}, e
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	var s events.RunSpec
	if err := strict.Decode(&s); err != nil {
		return events.RunSpec{}, yamlError(data, err)
	}
	return s, nil
}

// yamlLine matches the line that yaml.v3 puts in the text of its errors,
// which carry no line otherwise.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line ([0-9]+): (.*)$`)

// yamlError turns an error of yaml.v3 into an *Error with a line if it names
// one. It is the fallback for what yamlChecker does not catch first.
//
// yaml.v3 (v3.0.1) numbers the lines of its parser's errors, those that say
// "did not find expected …", from 0, and those of its scanner from 1; the
// former are corrected here, and a line past the end is taken as the last.
func yamlError(data []byte, err error) *Error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if line, aerr := strconv.Atoi(m[1]); aerr == nil {
			if strings.HasPrefix(m[2], "did not find expected") {
				line++
			}
			last := lineAt(data, len(bytes.TrimRight(data, " \t\r\n")))
			return &Error{Line: min(line, last), Msg: "invalid YAML: " + m[2], Err: err}
		}
	}
	return &Error{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: "), Err: err}
}

// checkText finds what yaml.v3 would reject as not UTF-8 or as a control
// character, whose errors carry no line. Input in UTF-16 (with its byte order
// mark) is left to yaml.v3.
func checkText(data []byte) *Error {
	if bytes.HasPrefix(data, []byte{0xfe, 0xff}) || bytes.HasPrefix(data, []byte{0xff, 0xfe}) {
		return nil
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return &Error{Line: lineAt(data, i+1), Msg: "the file is not UTF-8 text"}
		case !printable(r):
			return &Error{Line: lineAt(data, i+1), Msg: fmt.Sprintf("control character %U is not allowed in YAML", r)}
		}
		i += size
	}
	return nil
}

// printable reports whether YAML allows r in a document.
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r < 0x20 || r == 0x7f:
		return false
	case r >= 0x80 && r < 0xa0:
		return false
	case r >= 0xd800 && r <= 0xdfff || r == 0xfffe || r == 0xffff:
		return false
	}
	return true
}

// docLine is the line where document n starts.
func docLine(n *yaml.Node) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0].Line
	}
	return n.Line
}

// visit is a node checked against a type. Each is checked once, so aliases
// cost nothing and cannot loop.
type visit struct {
	n *yaml.Node
	t reflect.Type
}

// yamlChecker checks YAML nodes against Go types, as yaml.v3 would decode
// them but stricter: numbers must be numbers (and whole for integers), floats
// finite, strings UTF-8, and no field may be unknown or given twice.
type yamlChecker struct {
	seen map[visit]bool
}

func (c *yamlChecker) root(n *yaml.Node) *Error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return emptySpec()
		}
		n = n.Content[0]
	}
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return emptySpec()
	}
	return c.check(n, runSpecType, "")
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 100 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func errorf(n *yaml.Node, path, format string, args ...any) *Error {
	return &Error{Line: n.Line, Msg: at(path, fmt.Sprintf(format, args...))}
}

// check checks node n against type t at path.
func (c *yamlChecker) check(n *yaml.Node, t reflect.Type, path string) *Error {
	n = deref(n)
	if c.seen[visit{n, t}] {
		return nil
	}
	c.seen[visit{n, t}] = true
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // null leaves the zero value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case isText(t):
		if n.Kind != yaml.ScalarNode {
			return errorf(n, path, "want %s, got %s", want(t, syntaxYAML), got(n))
		}
		u := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(n.Value)); err != nil {
			return errorf(n, path, "%v", err)
		}
		return nil
	case orBool(t) && n.Kind == yaml.ScalarNode:
		if c.scalar(n, reflect.TypeFor[bool](), path) != nil {
			return errorf(n, path, "want %s, got %s", want(t, syntaxYAML), got(n))
		}
		return nil
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return errorf(n, path, "want %s, got %s", want(t, syntaxYAML), got(n))
		}
		return c.mapping(n, t, path)
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return errorf(n, path, "want %s, got %s", want(t, syntaxYAML), got(n))
		}
		return c.mapping(n, t, path)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return errorf(n, path, "want %s, got %s", want(t, syntaxYAML), got(n))
		}
		for i, item := range n.Content {
			if e := c.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); e != nil {
				return e
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return errorf(n, path, "want %s, got %s", want(t, syntaxYAML), got(n))
	}
	return c.scalar(n, t, path)
}

// mapping checks a mapping node against a struct or map type.
func (c *yamlChecker) mapping(n *yaml.Node, t reflect.Type, path string) *Error {
	first := make(map[string]int) // key → line where it was first given
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			if e := c.merge(v, t, path); e != nil {
				return e
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return errorf(k, path, "want a field name, got %s", got(k))
		}
		key, e := c.str(k, path)
		if e != nil {
			return e
		}
		if line, dup := first[key]; dup {
			return errorf(k, path, "%q is given twice (first on line %d)", key, line)
		}
		first[key] = k.Line
		if t.Kind() == reflect.Map {
			if e := c.check(v, t.Elem(), fmt.Sprintf("%s[%q]", path, key)); e != nil {
				return e
			}
			continue
		}
		f, ok := lookupField(t, key, syntaxYAML)
		if !ok {
			return errorf(k, path, "%s", unknownField(t, key, syntaxYAML))
		}
		if e := c.check(v, f.Type, join(path, key)); e != nil {
			return e
		}
	}
	return nil
}

// isMerge reports whether k is the merge key "<<", as yaml.v3 decides.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// merge checks the value of a merge key: a mapping or a list of mappings,
// each read into t as if written in place.
func (c *yamlChecker) merge(v *yaml.Node, t reflect.Type, path string) *Error {
	v = deref(v)
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	for _, m := range items {
		if deref(m).Kind != yaml.MappingNode {
			return errorf(m, path, "the merge key << wants a mapping or a list of mappings, got %s", got(m))
		}
		if e := c.check(m, t, path); e != nil {
			return e
		}
	}
	return nil
}

// str is the string yaml.v3 reads from scalar n, which must be UTF-8 to
// travel in JSON.
func (c *yamlChecker) str(n *yaml.Node, path string) (string, *Error) {
	s := n.Value
	if n.ShortTag() == "!!binary" {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", errorf(n, path, "!!binary value is not valid base64")
		}
		s = string(b)
	}
	if !utf8.ValidString(s) {
		return "", errorf(n, path, "%s is not UTF-8 text", quote(s))
	}
	return s, nil
}

// scalar checks scalar n against a string, bool or number type.
func (c *yamlChecker) scalar(n *yaml.Node, t reflect.Type, path string) *Error {
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String:
		_, e := c.str(n, path)
		return e
	case reflect.Bool:
		if tag == "!!bool" || yaml11Bool[n.Value] {
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if tag != "!!int" {
			break
		}
		v := reflect.New(t)
		if err := n.Decode(v.Interface()); err != nil {
			return errorf(n, path, "%s is out of range", n.Value)
		}
		return nil
	case reflect.Float32, reflect.Float64:
		if tag != "!!int" && tag != "!!float" {
			break
		}
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return errorf(n, path, "want a finite number, got %s", n.Value)
		}
		return nil
	}
	return errorf(n, path, "want %s, got %s", want(t, syntaxYAML), got(n))
}

// yaml11Bool holds the YAML 1.1 words that yaml.v3 reads into a bool field.
var yaml11Bool = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true,
}

// got describes node n for a message.
func got(n *yaml.Node) string {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!str":
			return "string " + quote(n.Value)
		case "!!int", "!!float":
			return "number " + n.Value
		case "!!bool":
			return n.Value
		case "!!null":
			return "null"
		default:
			return tag + " " + quote(n.Value)
		}
	}
	return "an alias"
}
