package observe

import (
	"context"
	"log/slog"
	"time"
)

// Log returns an Observer that writes a structured log: phases and their
// times, connections, waits and warnings at info level (warnings and
// failures at warn), and at debug level every query with its server and
// time, and the running row counts.
func Log(l *slog.Logger) Observer { return logger{l} }

type logger struct{ l *slog.Logger }

func (g logger) PhaseStarted(name string) { g.l.Info("phase started", "phase", name) }

func (g logger) PhaseEnded(name string, took time.Duration, err error) {
	if err != nil {
		g.l.Warn("phase failed", "phase", name, "seconds", seconds(took), "error", err)
		return
	}
	g.l.Info("phase ended", "phase", name, "seconds", seconds(took))
}

func (g logger) Done(took time.Duration, err error) {
	if err != nil {
		g.l.Warn("run failed", "seconds", seconds(took), "error", err)
		return
	}
	g.l.Info("run done", "seconds", seconds(took))
}

func (g logger) Estimate(tables []Table) {
	var rows, bytes int64
	for _, t := range tables {
		rows += t.Rows
		bytes += t.Bytes
	}
	g.l.Info("estimate", "tables", len(tables), "rows", rows, "bytes", bytes)
}

func (g logger) Rows(table string, rows, bytes int64) {
	g.l.Debug("rows", "table", table, "rows", rows, "bytes", bytes)
}

func (g logger) Waiting(what string) { g.l.Info("waiting", "for", what) }

func (g logger) Warning(msg string) { g.l.Warn(msg) }

func (g logger) Connected(c Connection) {
	if c.Err != nil {
		g.l.Warn("connect failed", "server", c.Server, "seconds", seconds(c.Took), "error", c.Err)
		return
	}
	g.l.Info("connected", "server", c.Server, "seconds", seconds(c.Took))
}

func (g logger) Query(q Query) {
	if !g.l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := []any{"server", q.Server, "sql", q.SQL, "seconds", seconds(q.Took)}
	if q.Tag != "" {
		attrs = append(attrs, "tag", q.Tag)
	}
	if q.Err != nil {
		attrs = append(attrs, "error", q.Err)
	}
	g.l.Debug("query", attrs...)
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }
