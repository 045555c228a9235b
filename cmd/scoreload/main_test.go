package main

import (
	"bufio"
	"net"
	"runtime"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		resp   string
		status int
		err    string
	}{
		{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 200, ""},
		{"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\n{ }", 404, ""},
		{"HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n", 204, ""}, // no body, no length
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "without Content-Length"},
		{"HTTP/1.1 2x0 OK\r\n\r\n", 0, "bad status line"},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "bad Content-Length"},
	} {
		client, server := net.Pipe()
		go func() {
			buf := make([]byte, 512)
			_, _ = server.Read(buf)
			_, _ = server.Write([]byte(tc.resp + "NEXT"))
		}()
		r := bufio.NewReader(client)
		status, err := roundTrip(client, r, []byte("GET / HTTP/1.1\r\n\r\n"))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.resp, err, tc.err)
			}
		} else {
			if err != nil || status != tc.status {
				t.Errorf("%q: status %d, error %v; want %d", tc.resp, status, err, tc.status)
			}
			if rest, _ := r.Peek(4); string(rest) != "NEXT" {
				t.Errorf("%q: body not consumed exactly (next bytes %q)", tc.resp, rest)
			}
		}
		client.Close()
		server.Close()
	}
}

func TestProcCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	c, err := procCPU("self")
	if err != nil {
		t.Fatal(err)
	}
	if c.user < 0 || c.sys < 0 {
		t.Errorf("negative CPU time %+v", c)
	}
	if _, err := procCPU("0"); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
