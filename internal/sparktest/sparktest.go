// Package sparktest gives tests the Spark master to run on: the one named
// by SOCIALSCORE_SPARK_MASTER (scripts/test.sh and .ci/run start a local
// standalone cluster with scripts/spark.sh and set it). A test that needs
// Spark and finds none fails when SOCIALSCORE_REQUIRE_SPARK=1 (as in CI);
// otherwise it is skipped with the command that provides one.
package sparktest

import (
	"os"
	"testing"
)

// Master returns the Spark master URL for tests.
func Master(tb testing.TB) string {
	tb.Helper()
	if m := os.Getenv("SOCIALSCORE_SPARK_MASTER"); m != "" {
		return m
	}
	msg := "no Spark: set SOCIALSCORE_SPARK_MASTER (scripts/spark.sh start prints it; scripts/test.sh starts one)"
	if os.Getenv("SOCIALSCORE_REQUIRE_SPARK") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}
