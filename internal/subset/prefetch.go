package subset

import (
	"context"
	"errors"
	"io"

	"github.com/jackc/pgx/v5/pgconn"
)

// prefetchChunk and prefetchChunks bound what a reader may read ahead of
// the target: 128 chunks of 256 KiB, 32 MiB a table.
const (
	prefetchChunk  = 256 << 10
	prefetchChunks = 128
)

// prefetch is one table's COPY read ahead by a source session: its bytes
// wait in a bounded channel until the target's COPY takes them.
type prefetch struct {
	chunks chan []byte
	err    error // set before chunks is closed
}

// CopyTo makes a prefetch a Source for stream: it hands over the bytes read
// ahead (the query was run by the reader).
func (p *prefetch) CopyTo(ctx context.Context, w io.Writer, _ string) (pgconn.CommandTag, error) {
	for {
		select {
		case <-ctx.Done():
			return pgconn.CommandTag{}, context.Cause(ctx)
		case c, ok := <-p.chunks:
			if !ok {
				return pgconn.CommandTag{}, p.err
			}
			if _, err := w.Write(c); err != nil {
				return pgconn.CommandTag{}, err
			}
		}
	}
}

// chunkWriter sends copies of what it is given, in chunks, on a channel.
type chunkWriter struct {
	ctx context.Context
	ch  chan<- []byte
	buf []byte
}

func (w *chunkWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		k := min(len(b), prefetchChunk-len(w.buf))
		w.buf = append(w.buf, b[:k]...)
		b = b[k:]
		if len(w.buf) == prefetchChunk {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	select {
	case <-w.ctx.Done():
		return context.Cause(w.ctx)
	case w.ch <- w.buf:
		w.buf = make([]byte, 0, prefetchChunk)
		return nil
	}
}

// prefetchAll starts reading the queries, in order, on the sessions of
// srcs, each session taking the next query when its last one is read;
// what is read waits (bounded) for the caller. The caller must take every
// prefetch's bytes, or cancel ctx, before srcs are used again; wait
// returns when every reader is done.
func prefetchAll(ctx context.Context, srcs []Source, queries []string) (out []*prefetch, wait func()) {
	pool := make(chan Source, len(srcs))
	for _, s := range srcs {
		pool <- s
	}
	done := make(chan struct{})
	out = make([]*prefetch, len(queries))
	for i := range out {
		out[i] = &prefetch{chunks: make(chan []byte, prefetchChunks)}
	}
	go func() {
		defer close(done)
		finished := make(chan struct{}, len(queries))
		started := 0
		for i, q := range queries {
			var s Source
			select {
			case s = <-pool:
			case <-ctx.Done():
			}
			if s == nil {
				for _, p := range out[i:] {
					p.err = context.Cause(ctx)
					close(p.chunks)
				}
				break
			}
			started++
			go func(p *prefetch, s Source, q string) {
				w := &chunkWriter{ctx: ctx, ch: p.chunks, buf: make([]byte, 0, prefetchChunk)}
				_, err := s.CopyTo(ctx, w, q)
				if err == nil {
					err = w.flush()
				}
				if err == nil {
					err = io.EOF
				}
				p.err = err
				if errors.Is(err, io.EOF) {
					p.err = nil
				}
				close(p.chunks)
				pool <- s
				finished <- struct{}{}
			}(out[i], s, q)
		}
		for range started {
			<-finished
		}
	}()
	return out, func() { <-done }
}
