package progress

// Test hooks.

// Tick makes a plain reporter write its periodic line now.
func Tick(r Reporter) { r.(*plain).tick() }

// NewTTYManual returns a tty reporter that redraws on each value of refresh.
func NewTTYManual(opts Options, refresh <-chan any) Reporter {
	opts.refresh = refresh
	return New(TTY, opts)
}
