package spec

import (
	"encoding"
	"fmt"
	"github.com/barrage-load/barrage/pkg/suggest"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/barrage-load/barrage/events"
)

// syntax names the format a document is written in, for messages and for
// the struct tags that name fields.
type syntax string

const (
	syntaxYAML syntax = "yaml"
	syntaxJSON syntax = "json"
)

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// isText reports whether t reads itself from a string (events.Duration).
func isText(t reflect.Type) bool { return reflect.PointerTo(t).Implements(textUnmarshalerType) }

// orBool reports whether struct type t may be written as a boolean too
// (events.Logout: true, false or an object).
func orBool(t reflect.Type) bool { return t == reflect.TypeFor[events.Logout]() }

// fieldName is the name under which f is written in syn, or "" if f is never
// read.
func fieldName(f reflect.StructField, syn syntax) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get(string(syn)), ",")
	switch {
	case name == "-":
		return ""
	case name != "":
		return name
	case syn == syntaxYAML:
		return strings.ToLower(f.Name)
	}
	return f.Name
}

// fieldNames lists the names of struct type t's fields in syn.
func fieldNames(t reflect.Type, syn syntax) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if n := fieldName(t.Field(i), syn); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// lookupField finds the field of struct type t named key. JSON matches
// names without regard to case when no name matches exactly, as
// encoding/json does.
func lookupField(t reflect.Type, key string, syn syntax) (reflect.StructField, bool) {
	var folded reflect.StructField
	found := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		switch name := fieldName(f, syn); {
		case name == "":
		case name == key:
			return f, true
		case syn == syntaxJSON && !found && strings.EqualFold(name, key):
			folded, found = f, true
		}
	}
	return folded, found
}

// unknownField says that key is not a field of struct type t, suggesting the
// field the user probably meant.
func unknownField(t reflect.Type, key string, syn syntax) string {
	msg := fmt.Sprintf("field %q is not a %s field", key, t.Name())
	if s := didYouMean(t, key, syn); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return msg
}

// didYouMean returns the field of t that key is most likely meant to be: one a
// level down with exactly that name (load.rate for a top-level rate), else a
// near miss at this level, else a near miss a level down; or "".
func didYouMean(t reflect.Type, key string, syn syntax) string {
	for _, exact := range []bool{true, false} {
		if !exact {
			if n := nearest(fieldNames(t, syn), key); n != "" {
				return n
			}
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, ft := fieldName(f, syn), f.Type
			sub := name
			if ft.Kind() == reflect.Slice {
				ft, sub = ft.Elem(), name+"[i]"
			}
			if name == "" || ft.Kind() != reflect.Struct || isText(ft) {
				continue
			}
			names := fieldNames(ft, syn)
			if exact && slices.Contains(names, key) {
				return sub + "." + key
			}
			if n := nearest(names, key); !exact && n != "" {
				return sub + "." + n
			}
		}
	}
	return ""
}

// nearest returns the name nearest to key (ignoring case) if it is near
// enough to be a typo: one edit for keys of up to four bytes, two for longer
// ones. It returns "" if none is.
func nearest(names []string, key string) string {
	best, bestD := "", 2
	if len(key) <= 4 {
		bestD = 1
	}
	bestD++
	for _, n := range names {
		if d := suggest.Distance(n, key); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// want describes what a value of type t is written as.
func want(t reflect.Type, syn syntax) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[events.Limit]() {
		return `a duration such as "500ms" or a number such as 0.01`
	}
	if isText(t) {
		return `a duration string such as "30s"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if syn == syntaxJSON {
			return "an array"
		}
		return "a list"
	case reflect.Struct:
		or := ""
		if orBool(t) {
			or = "true, false or "
		}
		if syn == syntaxJSON {
			return or + "an object of " + t.Name() + " fields"
		}
		return or + "a mapping of " + t.Name() + " fields"
	case reflect.Map:
		if syn == syntaxJSON {
			return "an object"
		}
		return "a mapping"
	}
	return t.String()
}

// quote quotes a user's value for a message, shortened to about 40 bytes.
func quote(s string) string {
	if len(s) > 40 {
		i := 37
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return fmt.Sprintf("%q…", s[:i])
	}
	return fmt.Sprintf("%q", s)
}

// join appends a field name to a path such as "targets[0]".
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// at prefixes msg with path, if any.
func at(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}
