// Package observe is how a run tells what it does to whoever listens: the
// progress display, the structured log (--log-level), tests. A run calls
// one Observer; Multi fans it out to many. Observers are told names,
// counts and timings — never row values or passwords.
package observe

import (
	"time"
)

// Observer is told what a run does. Its methods may be called from any
// goroutine, and must return quickly: they run on the run's own path.
type Observer interface {
	// PhaseStarted says a phase starts ("plan", "data", …).
	PhaseStarted(name string)
	// PhaseEnded says a phase ended after took, with err when it failed.
	PhaseEnded(name string, took time.Duration, err error)
	// Done says the run is over, after took, with err when it failed.
	Done(took time.Duration, err error)
	// Estimate gives the plan's estimate of each table's rows and bytes,
	// before the data phase.
	Estimate(tables []Table)
	// Rows gives a table's running counts while its rows stream.
	Rows(table string, rows, bytes int64)
	// Waiting says the run waits for something (a lock) before it goes on.
	Waiting(what string)
	// Warning says something the user should know; the run goes on.
	Warning(msg string)
	// Connected says a connection to a server was opened (or not).
	Connected(c Connection)
	// Query says a query ran.
	Query(q Query)
}

// Table is a table's share of the twin: estimated, or copied so far.
type Table struct {
	Name        string
	Rows, Bytes int64
}

// Connection is a connection attempt.
type Connection struct {
	// Server names the server without secrets: user@host:port/db.
	Server string
	Took   time.Duration
	Err    error
}

// Query is one query a run sent.
type Query struct {
	// Server names the server without secrets: user@host:port/db.
	Server string
	// SQL is the start of the statement, cut before its first string
	// literal (see Summary): never values.
	SQL string
	// Tag is the server's command tag ("SELECT 5", "COPY 120").
	Tag  string
	Took time.Duration
	Err  error
}

// Nop is an Observer that ignores everything; embed it to listen to a few
// events only.
type Nop struct{}

func (Nop) PhaseStarted(string)                     {}
func (Nop) PhaseEnded(string, time.Duration, error) {}
func (Nop) Done(time.Duration, error)               {}
func (Nop) Estimate([]Table)                        {}
func (Nop) Rows(string, int64, int64)               {}
func (Nop) Waiting(string)                          {}
func (Nop) Warning(string)                          {}
func (Nop) Connected(Connection)                    {}
func (Nop) Query(Query)                             {}

// Multi tells every observer, in order.
type Multi []Observer

// Join returns one Observer that tells each non-nil one of obs.
func Join(obs ...Observer) Observer {
	var m Multi
	for _, o := range obs {
		if o != nil {
			m = append(m, o)
		}
	}
	if len(m) == 1 {
		return m[0]
	}
	return m
}

func (m Multi) PhaseStarted(name string) {
	for _, o := range m {
		o.PhaseStarted(name)
	}
}

func (m Multi) PhaseEnded(name string, took time.Duration, err error) {
	for _, o := range m {
		o.PhaseEnded(name, took, err)
	}
}

func (m Multi) Done(took time.Duration, err error) {
	for _, o := range m {
		o.Done(took, err)
	}
}

func (m Multi) Estimate(tables []Table) {
	for _, o := range m {
		o.Estimate(tables)
	}
}

func (m Multi) Rows(table string, rows, bytes int64) {
	for _, o := range m {
		o.Rows(table, rows, bytes)
	}
}

func (m Multi) Waiting(what string) {
	for _, o := range m {
		o.Waiting(what)
	}
}

func (m Multi) Warning(msg string) {
	for _, o := range m {
		o.Warning(msg)
	}
}

func (m Multi) Connected(c Connection) {
	for _, o := range m {
		o.Connected(c)
	}
}

func (m Multi) Query(q Query) {
	for _, o := range m {
		o.Query(q)
	}
}
