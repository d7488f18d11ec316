package events

import (
	"fmt"
	"strings"
)

// FileError is a problem in a file a user wrote, such as a spec or a targets
// file, at a line when one is known. It prints as one line.
type FileError struct {
	File string // the file's name as the user gave it; may be empty
	Line int    // 1-based; 0 when the problem is not tied to a line
	Msg  string
	Err  error // the underlying error, if any, for errors.Is and errors.As
}

// oneLine keeps a message on one line.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// Error formats e as "FILE:LINE: msg", or "FILE: msg" without a line.
func (e *FileError) Error() string {
	msg := oneLine.Replace(e.Msg)
	switch {
	case e.File == "" && e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, msg)
	case e.File == "":
		return msg
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return e.File + ": " + msg
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// IsToken reports whether s is a non-empty RFC 9110 token, as a method or a
// header name must be.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
