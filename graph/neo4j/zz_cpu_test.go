package neo4j

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// serverCPU returns the CPU time used so far by the process NEO4J_PID.
func serverCPU() time.Duration {
	b, err := os.ReadFile("/proc/" + os.Getenv("NEO4J_PID") + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
