//go:build !linux

package engine

import "context"

func newWaiter(ctx context.Context, _ bool) waiter { return newGoTimer(ctx) }
