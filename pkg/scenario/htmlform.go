package scenario

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// Form is an HTML form as a browser reads it: where it goes and its
// controls, in document order. Attribute values are entity-decoded.
type Form struct {
	ID, Name string
	// Action is the action attribute as written ("" posts back to the
	// page: resolve it against the page's URL). Method is GET or POST.
	Action, Method string
	Fields         []Field
}

// Field is one control of a form.
type Field struct {
	// Tag is input, button, select or textarea; Type the input's or
	// button's type, lower case (an input without one is "text", a button
	// without one "submit"; "" for select and textarea).
	Tag, Type string
	Name, ID  string
	// Value is what the control submits: an option's value for a select
	// (the selected one, else the first), the text of a textarea.
	Value string
	// Label is a button's text (or an input button's value), for telling
	// an accept button from a reject one.
	Label        string
	Autocomplete string
	Checked      bool // checkbox, radio
	Disabled     bool
}

// Submit reports whether f submits its form when clicked.
func (f *Field) Submit() bool {
	return (f.Tag == "input" && (f.Type == "submit" || f.Type == "image")) || (f.Tag == "button" && f.Type == "submit")
}

// textual reports whether f is an input a user types a name into.
func (f *Field) textual() bool {
	return f.Tag == "input" && (f.Type == "text" || f.Type == "email" || f.Type == "tel")
}

// ParseForms returns the forms of an HTML page. Markup in comments,
// scripts and styles is not read; a form inside a form is ignored, as
// browsers ignore it; a control outside any form that names one by its
// form attribute belongs to that form.
func ParseForms(page []byte) []Form {
	p := formParser{z: html.NewTokenizer(bytes.NewReader(page)), form: -1, text: -1, sel: -1}
	for p.next() {
	}
	for _, o := range p.orphans {
		for i := range p.forms {
			if p.forms[i].ID == o.form {
				p.forms[i].Fields = append(p.forms[i].Fields, o.Field)
				break
			}
		}
	}
	return p.forms
}

// formParser is ParseForms' state. Fields are referred to by their index
// in the form being read, as appending moves them.
type formParser struct {
	z       *html.Tokenizer
	forms   []Form
	orphans []orphan
	form    int // the form being read, or -1
	// text is the field (of forms[form]) whose text is being read: a
	// button's label or a textarea's value; sel the select whose options
	// are being read; -1 when none.
	text, sel           int
	buf                 strings.Builder
	selChosen, selFirst bool // sel has a selected option; its first was read
}

// orphan is a control outside any form that names its form.
type orphan struct {
	form string
	Field
}

// field returns field i of the form being read.
func (p *formParser) field(i int) *Field { return &p.forms[p.form].Fields[i] }

// add appends f to the form it belongs to and returns its index in the
// form being read, or -1.
func (p *formParser) add(f Field, owner string) int {
	switch {
	case owner != "":
		p.orphans = append(p.orphans, orphan{owner, f})
	case p.form >= 0:
		p.forms[p.form].Fields = append(p.forms[p.form].Fields, f)
		return len(p.forms[p.form].Fields) - 1
	}
	return -1
}

// next reads one token; it returns false at the end of the page.
func (p *formParser) next() bool {
	z := p.z
	tt := z.Next()
	switch tt {
	case html.ErrorToken:
		return false
	case html.TextToken:
		if p.text >= 0 {
			p.buf.Write(z.Text())
		}
	case html.EndTagToken:
		name, _ := z.TagName()
		switch string(name) {
		case "form":
			p.form, p.text, p.sel = -1, -1, -1
		case "button", "textarea":
			if p.text >= 0 {
				if f := p.field(p.text); f.Tag == "textarea" {
					f.Value = p.buf.String()
				} else {
					f.Label = strings.Join(strings.Fields(p.buf.String()), " ")
				}
			}
			p.text = -1
		case "select":
			p.sel = -1
		}
	case html.StartTagToken, html.SelfClosingTagToken:
		p.start(tt)
	}
	return true
}

// start reads a start tag: a form opens (unless one is open), a control
// joins its form, an option sets its select's value.
func (p *formParser) start(tt html.TokenType) {
	name, more := p.z.TagName()
	tag := string(name)
	if !formTag(tag) {
		return
	}
	a := attrs{} // filled here rather than returned, which would move it to the heap
	p.readAttrs(a, more)
	open := tt == html.StartTagToken
	switch tag {
	case "form":
		p.startForm(a, open)
	case "input":
		p.add(inputField(a), a["form"])
	case "button":
		i := p.add(Field{Tag: "button", Type: a.typ("submit"), Name: a["name"], ID: a["id"], Value: a["value"],
			Disabled: a.has("disabled")}, a["form"])
		p.readText(i, open)
	case "textarea":
		i := p.add(Field{Tag: "textarea", Name: a["name"], ID: a["id"], Disabled: a.has("disabled")}, a["form"])
		p.readText(i, open)
	case "select":
		p.sel = p.add(Field{Tag: "select", Name: a["name"], ID: a["id"], Disabled: a.has("disabled")}, a["form"])
		p.selChosen, p.selFirst = false, false
	case "option":
		p.option(a)
	}
}

// formTag reports whether tag is one that ParseForms reads.
func formTag(tag string) bool {
	switch tag {
	case "form", "input", "button", "textarea", "select", "option":
		return true
	}
	return false
}

// attrs are a tag's attributes by name, values entity-decoded.
type attrs map[string]string

// has reports whether the tag has attribute k (with or without a value).
func (a attrs) has(k string) bool {
	_, ok := a[k]
	return ok
}

// typ is the type attribute in lower case, or def when there is none.
func (a attrs) typ(def string) string {
	typ := strings.ToLower(a["type"])
	if typ == "" {
		typ = def
	}
	return typ
}

// readAttrs reads the attributes of the current tag into a, more being
// what TagName said. Of an attribute written twice, the first counts, as in
// browsers.
func (p *formParser) readAttrs(a attrs, more bool) {
	for more {
		var k, v []byte
		k, v, more = p.z.TagAttr()
		if _, dup := a[string(k)]; !dup {
			a[string(k)] = string(v)
		}
	}
}

// startForm appends a form; an open one (not self-closing) is read until
// its end tag. A form inside a form is ignored.
func (p *formParser) startForm(a attrs, open bool) {
	if p.form >= 0 {
		return // no form inside a form
	}
	method := strings.ToUpper(a["method"])
	if method != "POST" {
		method = "GET"
	}
	p.forms = append(p.forms, Form{ID: a["id"], Name: a["name"], Action: a["action"], Method: method})
	if open {
		p.form = len(p.forms) - 1
	}
}

// inputField is the field of an input tag: one without a type is text; a
// button's value is also its label; a checkbox or radio without a value
// submits "on".
func inputField(a attrs) Field {
	typ := a.typ("text")
	f := Field{Tag: "input", Type: typ, Name: a["name"], ID: a["id"], Value: a["value"],
		Autocomplete: a["autocomplete"], Checked: a.has("checked"), Disabled: a.has("disabled")}
	if typ == "submit" || typ == "button" || typ == "reset" {
		f.Label = f.Value
	}
	if !a.has("value") && (typ == "checkbox" || typ == "radio") {
		f.Value = "on"
	}
	return f
}

// readText starts reading the text of field i (a button's label or a
// textarea's value) when it is in the form being read and its tag is open.
func (p *formParser) readText(i int, open bool) {
	if i >= 0 && open {
		p.text = i
		p.buf.Reset()
	}
}

// option reads an option of the select being read, if any: the select
// submits the value of its first selected option, else of its first one.
func (p *formParser) option(a attrs) {
	if p.sel < 0 {
		return
	}
	v, hasValue := a["value"]
	if !hasValue && p.z.Next() == html.TextToken {
		v = strings.TrimSpace(string(p.z.Text())) // an option without a value submits its text
	}
	switch sel := p.field(p.sel); {
	case a.has("selected") && !p.selChosen:
		sel.Value, p.selChosen = v, true
	case !p.selFirst:
		sel.Value = v
	}
	p.selFirst = true
}
