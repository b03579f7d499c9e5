package verify

// SetBatchSize sets how many keys one source query looks up, until the
// returned function restores it.
func SetBatchSize(n int) (restore func()) {
	old := batchSize
	batchSize = n
	return func() { batchSize = old }
}

var (
	KeptByDesign  = keptByDesign
	ArrayElements = arrayElements
)
