package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Error is one problem found in a config file. Its text is
// "FILE:LINE: PATH: MESSAGE", e.g.
//
//	twin.yaml:7: roots[1].limit: must be 0 or more, got -5
//
// LINE is left out when unknown, PATH when the problem concerns the file as
// a whole. Load and Parse (and plan.Check and plan.CheckSQL, through
// ErrorList) join all the problems they find with errors.Join, one per
// line, sorted by line; use errors.As to get at the first one, or Problems
// to list them.
type Error struct {
	File string
	Line int    // 1-based; 0 when unknown
	Path string // field path, e.g. roots[1].limit; "" for the whole file
	Msg  string
	Err  error // underlying error, e.g. a *pgconn.PgError from plan.CheckSQL
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Problems returns the *Error values joined in err, in order.
func Problems(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var e *Error
		if errors.As(err, &e) {
			out = append(out, e)
		}
	}
	walk(err)
	return out
}

// ErrorList collects the Errors found in one file, for checks of a config
// made outside this package (plan.Check, plan.CheckSQL): Err sorts and
// joins them as Load and Parse do.
type ErrorList struct{ p problems }

// NewErrorList returns an empty list for problems in file.
func NewErrorList(file string) *ErrorList { return &ErrorList{p: problems{file: file}} }

// Add records a problem at line (0 when unknown) and path; the message is
// fmt.Sprintf(format, args...).
func (l *ErrorList) Add(line int, path, format string, args ...any) *Error {
	return l.p.add(line, path, format, args...)
}

// Err returns the problems sorted by line (stable), joined, or nil; past
// 50, the rest are summed up in one last problem.
func (l *ErrorList) Err() error { return l.p.err() }

// problems collects Errors for one file.
type problems struct {
	file string
	list []*Error
}

func (p *problems) add(line int, path, format string, args ...any) *Error {
	e := &Error{File: p.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
	p.list = append(p.list, e)
	return e
}

// maxProblems caps the problems reported at once.
const maxProblems = 50

// err returns the problems sorted by line (stable), joined, or nil. Past
// maxProblems, the rest are summed up in one last problem.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	slices.SortStableFunc(p.list, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	if n := len(p.list); n > maxProblems {
		p.list = append(p.list[:maxProblems:maxProblems], &Error{File: p.file, Msg: fmt.Sprintf("%d more problems not shown", n-maxProblems)})
	}
	errs := make([]error, len(p.list))
	for i, e := range p.list {
		errs[i] = e
	}
	return errors.Join(errs...)
}
