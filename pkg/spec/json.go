package spec

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// decodeJSON reads one JSON object with encoding/json, rejecting unknown
// fields and trailing data. encoding/json reports an unknown field and an
// invalid duration without a position, and a wrong type without the index of
// the target it is in, so on such errors jsonChecker reads the document again,
// token by token, to name the field and its line.
func decodeJSON(data []byte) (events.RunSpec, *Error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return events.RunSpec{}, emptySpec()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s events.RunSpec
	if err := dec.Decode(&s); err != nil {
		return events.RunSpec{}, jsonError(data, err)
	}
	if bytes.TrimSpace(data)[0] != '{' {
		return events.RunSpec{}, &Error{Line: 1, Msg: "want " + want(runSpecType, syntaxJSON) + ", got null"}
	}
	end := int(dec.InputOffset())
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		off := len(data) - len(rest)
		return events.RunSpec{}, &Error{Line: lineAt(data, off+1),
			Msg: fmt.Sprintf("unexpected %s after the end of the spec's JSON object", quote(string(rest[:min(len(rest), 20)])))}
	}
	return s, nil
}

// lineAt is the 1-based line of the last of the first off bytes of data.
func lineAt(data []byte, off int) int {
	off = max(0, min(off, len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// jsonError turns an error of encoding/json into an *Error with a line.
func jsonError(data []byte, err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Line: lineAt(data, int(se.Offset)), Msg: "invalid JSON: " + se.Error(), Err: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		end := len(bytes.TrimRight(data, " \t\r\n"))
		return &Error{Line: lineAt(data, end), Msg: "invalid JSON: the document ends early (a missing } or ]?)", Err: err}
	}
	c := jsonChecker{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	c.dec.UseNumber()
	if e := c.value(runSpecType, ""); e != nil {
		e.Err = err
		return e
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Error{Line: lineAt(data, int(te.Offset)), Err: err,
			Msg: at(te.Field, fmt.Sprintf("want %s, got %s", want(te.Type, syntaxJSON), te.Value))}
	}
	return &Error{Msg: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: "), Err: err}
}

// jsonChecker reads a JSON document token by token and checks each value
// against a Go type, as encoding/json would decode it.
type jsonChecker struct {
	data   []byte
	dec    *json.Decoder
	broken bool // the token stream ended or failed: stop checking
}

func (c *jsonChecker) errorf(path, format string, args ...any) *Error {
	return &Error{Line: lineAt(c.data, int(c.dec.InputOffset())), Msg: at(path, fmt.Sprintf(format, args...))}
}

// token reads the next token, noting when there is none.
func (c *jsonChecker) token() json.Token {
	tok, err := c.dec.Token()
	if err != nil {
		c.broken = true
	}
	return tok
}

// value reads one value and checks it against t; a nil t accepts anything.
func (c *jsonChecker) value(t reflect.Type, path string) *Error {
	tok := c.token()
	if c.broken {
		return nil
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok := tok.(type) {
	case nil:
		return nil // null leaves the value as it is
	case json.Delim:
		if tok == '[' {
			return c.array(t, path)
		}
		return c.object(t, path)
	case string:
		switch {
		case t == nil || t.Kind() == reflect.String:
			return nil
		case isText(t):
			u := reflect.New(t).Interface().(encoding.TextUnmarshaler)
			if err := u.UnmarshalText([]byte(tok)); err != nil {
				return c.errorf(path, "%v", err)
			}
			return nil
		}
		return c.errorf(path, "want %s, got string %s", want(t, syntaxJSON), quote(tok))
	case json.Number:
		if t == nil {
			return nil
		}
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if _, err := strconv.ParseInt(tok.String(), 10, t.Bits()); err == nil && !isText(t) {
				return nil
			}
		case reflect.Float32, reflect.Float64:
			if _, err := strconv.ParseFloat(tok.String(), t.Bits()); err == nil {
				return nil
			}
		}
		return c.errorf(path, "want %s, got number %s", want(t, syntaxJSON), tok)
	case bool:
		if t == nil || t.Kind() == reflect.Bool || orBool(t) {
			return nil
		}
		return c.errorf(path, "want %s, got %v", want(t, syntaxJSON), tok)
	}
	return nil
}

// object checks the members of an object whose { has been read.
func (c *jsonChecker) object(t reflect.Type, path string) *Error {
	if t != nil && (t.Kind() != reflect.Struct && t.Kind() != reflect.Map || isText(t)) {
		return c.errorf(path, "want %s, got an object", want(t, syntaxJSON))
	}
	for c.dec.More() {
		key, _ := c.token().(string)
		if c.broken {
			return nil
		}
		var vt reflect.Type
		p := path
		switch {
		case t == nil:
		case t.Kind() == reflect.Map:
			vt, p = t.Elem(), fmt.Sprintf("%s[%q]", path, key)
		default:
			f, ok := lookupField(t, key, syntaxJSON)
			if !ok {
				return c.errorf(path, "%s", unknownField(t, key, syntaxJSON))
			}
			vt, p = f.Type, join(path, fieldName(f, syntaxJSON))
		}
		if e := c.value(vt, p); e != nil || c.broken {
			return e
		}
	}
	c.token() // }
	return nil
}

// array checks the elements of an array whose [ has been read.
func (c *jsonChecker) array(t reflect.Type, path string) *Error {
	if t != nil && t.Kind() != reflect.Slice {
		return c.errorf(path, "want %s, got an array", want(t, syntaxJSON))
	}
	var et reflect.Type
	if t != nil {
		et = t.Elem()
	}
	for i := 0; c.dec.More(); i++ {
		if e := c.value(et, fmt.Sprintf("%s[%d]", path, i)); e != nil || c.broken {
			return e
		}
	}
	c.token() // ]
	return nil
}
