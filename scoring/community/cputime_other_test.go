//go:build !unix

package community

import "time"

func cpuTime() time.Duration { return 0 }
