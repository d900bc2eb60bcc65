package transport

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// Segment escapes a value from data (an id) for use as one segment of a request path. A value that is empty, "."
// or "..", or that holds "/" or a control character is refused: escaped or not, a server or proxy that
// normalises paths would apply the call to another resource or to the collection.
func Segment(value string) (string, error) {
	if err := CheckSegment(value); err != nil {
		return "", err
	}
	return url.PathEscape(value), nil
}

// CheckSegment is Segment's rule on its own, for ids a service sends back: one that breaks it cannot be used.
func CheckSegment(value string) error {
	switch {
	case value == "":
		return errors.New("it is empty")
	case value == "." || value == "..":
		return fmt.Errorf("%q names a path, not a resource", value)
	case strings.Contains(value, "/"):
		return errors.New(`it holds "/"`)
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		return errors.New("it holds a control character")
	}
	return nil
}
