// The grpc-go interop peer: one program, three roles, built in GOPATH mode
// against Debian's grpc-go (tools/interop_go.sh builds it into build/go/bin/peer).
//
//	peer client [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] getprodtypes VENDOR
//	peer client [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] getprods VENDOR TYPE
//	peer prod-server [--listen HOST:PORT] [--storage HOST:PORT] [--stream-delay-ms N]
//	peer storage-server [--listen HOST:PORT] [--db PATH (ignored)] [--delay-ms N]
//
// Called through a link named client, prod-server or storage-server, it takes
// that role without the first word (so tests can start it like our daemons).
//
// The client prints exactly what our firmware-client prints (DESIGN.md section
// 3), so the two outputs compare line by line. The servers behave as our
// gateway and storage do (DESIGN.md section 4) and log the article's lines on
// stderr.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func logf(who, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s go-%s: %s\n", time.Now().Format("2006-01-02T15:04:05.000"), who,
		fmt.Sprintf(format, args...))
}

func main() {
	switch filepath.Base(os.Args[0]) {
	case "client", "prod-server", "storage-server":
		os.Args = append([]string{"peer"}, append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)...)
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peer client|prod-server|storage-server ARGS...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "client":
		os.Exit(runClient(os.Args[2:]))
	case "prod-server":
		os.Exit(runProdServer(os.Args[2:]))
	case "storage-server":
		os.Exit(runStorageServer(os.Args[2:]))
	}
	fmt.Fprintln(os.Stderr, "usage: peer client|prod-server|storage-server ARGS...")
	os.Exit(2)
}
