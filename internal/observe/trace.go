package observe

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/dbconn"
)

// Tracer returns a pgx tracer (set it as pgx.ConnConfig.Tracer) that tells
// o about each connection and query: the server, the start of the SQL
// (Summary), the command tag and the time — never the arguments.
func Tracer(o Observer) pgx.QueryTracer { return tracer{o} }

type tracer struct{ o Observer }

type startKey struct{}

func (t tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, startKey{}, queryStart{time.Now(), data.SQL})
}

type queryStart struct {
	at  time.Time
	sql string
}

func (t tracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	s, _ := ctx.Value(startKey{}).(queryStart)
	t.o.Query(Query{Server: dbconn.Describe(&conn.Config().Config), SQL: Summary(s.sql), Tag: data.CommandTag.String(),
		Took: time.Since(s.at), Err: data.Err})
}

type connectStart struct {
	at     time.Time
	server string
}

func (t tracer) TraceConnectStart(ctx context.Context, data pgx.TraceConnectStartData) context.Context {
	return context.WithValue(ctx, startKey{}, connectStart{time.Now(), dbconn.Describe(&data.ConnConfig.Config)})
}

func (t tracer) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	s, _ := ctx.Value(startKey{}).(connectStart)
	t.o.Connected(Connection{Server: s.server, Took: time.Since(s.at), Err: data.Err})
}

// maxSummary is the most runes of a statement Summary keeps.
const maxSummary = 160

// Summary is the start of a statement, enough to tell which it is, with
// its whitespace squeezed: it ends before the first string literal or
// dollar quote (where values, key lists and function bodies are) and
// after maxSummary runes; "…" says it was cut.
func Summary(sql string) string {
	var b strings.Builder
	n, space, cut := 0, false, false
	for i, r := range sql {
		if r == '\'' || r == '$' && !(i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9') || n == maxSummary {
			cut = true
			break
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		b.WriteRune(r)
		n++
	}
	s := b.String()
	if cut {
		s = strings.TrimRight(s, " E") + " …"
	}
	return s
}
