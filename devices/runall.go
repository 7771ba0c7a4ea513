package devices

import (
	"context"
	"errors"
	"sync"
)

// RunAll is the one fan-in of sources: it runs every source with out as its
// event channel until ctx ends or every source has returned, then returns
// how many failed. A source fails when Run returns an error other than
// cancellation (it can never work: bad config, unsupported here); failed is
// called with it from that source's goroutine, before RunAll counts the
// source as done, so it may still send on out. out is never closed.
func RunAll(ctx context.Context, sources []Source, out chan<- Event, failed func(src Source, err error)) int {
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		n  int
	)
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := src.Run(ctx, out); err != nil && !errors.Is(err, context.Canceled) {
				mu.Lock()
				n++
				mu.Unlock()
				if failed != nil {
					failed(src, err)
				}
			}
		}()
	}
	wg.Wait()
	return n
}
