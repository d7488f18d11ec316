package scenario

import (
	"net/url"
	"strings"
	"unicode"
)

// PageKind is what a page on the way of a browser login asks for.
type PageKind int

const (
	// NoForm: the page has no form to submit.
	NoForm PageKind = iota
	// LoginPage: a form with a password input (or the form the login
	// options select).
	LoginPage
	// IdentifierPage: a form with a user-name input and no password input,
	// the first page of a two-step login (identifier first).
	IdentifierPage
	// ConsentPage: a form that asks for nothing typed (no text or password
	// input): a consent or a confirmation.
	ConsentPage
)

func (k PageKind) String() string {
	return [...]string{"no form", "login", "identifier", "consent"}[k]
}

// LoginForm says how to find and fill a provider's login form; its zero
// value finds the form by its password input and the user-name input by
// its type and name.
type LoginForm struct {
	// Selector picks the login form: "#ID" (its id) or a part of its
	// action. A page with no such form is read as if Selector were empty.
	Selector string
	// Username and Password name the inputs to fill, found when empty.
	Username, Password string
}

// Pick returns the form a browser login submits on a page of forms, and
// what the page is: the selected form, else the first with a password
// input (a login page), else the first with a user-name input (the first
// page of a two-step login), else the form of a page that asks for nothing
// typed (a consent page; of several, the one whose buttons and values
// read most like accepting: accept, allow, approve, grant, yes…, and least
// like deny, reject, cancel, no…). It returns NoForm when none fits.
func (l LoginForm) Pick(forms []Form) (*Form, PageKind) {
	if l.Selector != "" {
		for i := range forms {
			if f := &forms[i]; l.selects(f) {
				if l.password(f) < 0 && l.Password == "" && l.username(f, true) >= 0 {
					return f, IdentifierPage
				}
				return f, LoginPage
			}
		}
	}
	for i := range forms {
		if l.password(&forms[i]) >= 0 {
			return &forms[i], LoginPage
		}
	}
	for i := range forms {
		if l.username(&forms[i], true) >= 0 {
			return &forms[i], IdentifierPage
		}
	}
	var best *Form
	bestScore := 0
	for i := range forms {
		f := &forms[i]
		if asksTyping(f) {
			continue
		}
		if s := formScore(f); best == nil || s > bestScore {
			best, bestScore = f, s
		}
	}
	if best == nil {
		return nil, NoForm
	}
	return best, ConsentPage
}

// selects reports whether f is the form l.Selector names.
func (l LoginForm) selects(f *Form) bool {
	if id, ok := strings.CutPrefix(l.Selector, "#"); ok {
		return f.ID == id
	}
	return strings.Contains(f.Action, l.Selector)
}

// password returns the index of f's password input, or -1.
func (l LoginForm) password(f *Form) int {
	for i, fd := range f.Fields {
		if fd.Disabled {
			continue
		}
		if l.Password != "" && fd.Name == l.Password || l.Password == "" && fd.Tag == "input" && fd.Type == "password" && fd.Name != "" {
			return i
		}
	}
	return -1
}

// username returns the index of f's user-name input, or -1: the input
// l.Username names, else a text, email or tel input that says it is one
// (autocomplete username or email; a name or id with user, login, mail,
// ident, account, principal or uid in it), else, unless strict, the last such
// input before the password input, or the first.
func (l LoginForm) username(f *Form, strict bool) int {
	if l.Username != "" {
		for i, fd := range f.Fields {
			if fd.Name == l.Username && !fd.Disabled {
				return i
			}
		}
		return -1
	}
	pw := l.password(f)
	before, first := -1, -1
	for i, fd := range f.Fields {
		if !fd.textual() || fd.Name == "" || fd.Disabled {
			continue
		}
		if userish(fd) {
			return i
		}
		if first < 0 {
			first = i
		}
		if pw < 0 || i < pw {
			before = i
		}
	}
	switch {
	case strict:
		return -1
	case before >= 0:
		return before
	}
	return first
}

// userHints are what the name or id of a user-name input holds.
var userHints = []string{"user", "login", "mail", "ident", "account", "principal", "uid"}

func userish(f Field) bool {
	for _, tok := range strings.Fields(strings.ToLower(f.Autocomplete)) {
		if tok == "username" || tok == "email" {
			return true
		}
	}
	name := strings.ToLower(f.Name + " " + f.ID)
	for _, h := range userHints {
		if strings.Contains(name, h) {
			return true
		}
	}
	return false
}

// asksTyping reports whether f has an input a user types into (a form
// that asks for nothing typed is a consent or a confirmation).
func asksTyping(f *Form) bool {
	for _, fd := range f.Fields {
		switch {
		case fd.Tag == "textarea":
			return true
		case fd.Tag != "input":
		case fd.Type == "hidden", fd.Type == "checkbox", fd.Type == "radio", fd.Submit(), fd.Type == "button", fd.Type == "reset":
		default: // text, password, email, search, number, …
			return true
		}
	}
	return false
}

// Words that tell an accepting button or value from a refusing one.
var (
	acceptWords = words("accept allow approve grant authorize authorise yes confirm consent agree continue ok")
	refuseWords = words("deny reject rejected cancel decline no refuse abort")
)

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// score is how much s reads like accepting (positive) or refusing
// (negative).
func score(s string) int {
	n := 0
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch {
		case acceptWords[w]:
			n++
		case refuseWords[w]:
			n--
		}
	}
	return n
}

func fieldScore(fd Field) int { return score(fd.Name + " " + fd.ID + " " + fd.Value + " " + fd.Label) }

// formScore is how much a form's buttons and hidden values read like
// accepting.
func formScore(f *Form) int {
	n := score(f.ID + " " + f.Action)
	for _, fd := range f.Fields {
		if fd.Submit() || fd.Type == "hidden" {
			n += score(fd.Value + " " + fd.Label)
		}
	}
	return n
}

// PasswordName is the name of the input of form f (of a page of kind k)
// that Submission fills with the password, or "".
func (l LoginForm) PasswordName(f *Form, k PageKind) string {
	if k != LoginPage {
		return ""
	}
	if i := l.password(f); i >= 0 {
		return f.Fields[i].Name
	}
	return l.Password
}

// Submission returns what form f of a page of kind k submits, as a browser
// would when the user fills in user and password (on a login page; the
// user alone on an identifier page) and clicks the most
// accepting of its submit buttons (the first of equals): every other
// enabled, named control as served; checkboxes and radios only when
// checked, except that a consent page's checkboxes are checked (the
// scopes it asks for), those about remembering excepted; the clicked
// button's name and value, if it has a name. Inputs l names that the form
// lacks are added.
func (l LoginForm) Submission(f *Form, k PageKind, user, password string) url.Values {
	out := url.Values{}
	un, pw := l.fills(f, k)
	click := clickedButton(f)
	for i, fd := range f.Fields {
		if fd.Name == "" || fd.Disabled {
			continue
		}
		switch i {
		case un:
			out.Add(fd.Name, user)
		case pw:
			out.Add(fd.Name, password)
		default:
			addServed(out, fd, i == click, k == ConsentPage)
		}
	}
	if un < 0 && l.Username != "" && (k == LoginPage || k == IdentifierPage) {
		out.Add(l.Username, user)
	}
	if pw < 0 && l.Password != "" && k == LoginPage {
		out.Add(l.Password, password)
	}
	return out
}

// fills returns the indexes of the inputs of f that a page of kind k fills
// in with the user and with the password, -1 for none: both on a login
// page, the user on an identifier page.
func (l LoginForm) fills(f *Form, k PageKind) (un, pw int) {
	un, pw = -1, -1
	if k == LoginPage || k == IdentifierPage {
		un = l.username(f, k == IdentifierPage)
	}
	if k == LoginPage {
		pw = l.password(f)
	}
	return un, pw
}

// clickedButton returns the index of the submit button of f that a browser login
// clicks, the enabled one that reads most like accepting (the first of
// equals), or -1.
func clickedButton(f *Form) int {
	click := -1
	for i, fd := range f.Fields {
		if fd.Submit() && !fd.Disabled && (click < 0 || fieldScore(fd) > fieldScore(f.Fields[click])) {
			click = i
		}
	}
	return click
}

// addServed adds to out what control fd submits as served: a submit
// button only when it is the one clicked (see addClick), no
// other button nor a file input, a checkbox when checked (see
// consentChecks), a radio when checked, any other control its value.
func addServed(out url.Values, fd Field, clicked, consent bool) {
	switch {
	case fd.Submit():
		if clicked {
			addClick(out, fd)
		}
	case fd.Tag == "button" || fd.Type == "button" || fd.Type == "reset" || fd.Type == "file":
		// nothing: not a submit button, or a file (no upload)
	case fd.Type == "checkbox":
		if fd.Checked || consent && consentChecks(fd) {
			out.Add(fd.Name, fd.Value)
		}
	case fd.Type == "radio":
		if fd.Checked {
			out.Add(fd.Name, fd.Value)
		}
	default:
		out.Add(fd.Name, fd.Value)
	}
}

// addClick adds to out what submit button fd submits when clicked: its
// value, or for an image the point clicked.
func addClick(out url.Values, fd Field) {
	if fd.Type == "image" {
		out.Add(fd.Name+".x", "0")
		out.Add(fd.Name+".y", "0")
		return
	}
	out.Add(fd.Name, fd.Value)
}

// consentChecks reports whether a consent page's checkbox fd is checked
// when the login submits: the scopes it asks for are, a box about
// remembering the choice is not.
func consentChecks(fd Field) bool {
	return !strings.Contains(strings.ToLower(fd.Name+" "+fd.ID), "remember")
}
