package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"fwinterop/api"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

const clientUsage = "usage: peer client [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] getprodtypes VENDOR | getprods VENDOR TYPE"

// printErr prints the CLI's error line: grpc-go's code name, the article's
// prefix, the status message.
func printErr(prefix string, err error) {
	s := status.Convert(err)
	fmt.Fprintf(os.Stderr, "rpc error: code = %s desc = %s%s\n", s.Code(), prefix, s.Message())
}

func runClient(args []string) int {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	timeout := fs.Float64("timeout", 4, "")
	cancelAfter := fs.Int("cancel-after", 0, "")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, clientUsage)
		return 2
	}
	rest := fs.Args()
	if !(len(rest) == 2 && rest[0] == "getprodtypes") && !(len(rest) == 3 && rest[0] == "getprods") {
		fmt.Fprintln(os.Stderr, clientUsage)
		return 2
	}
	// The deadline counts from the start, connection included, as in our CLI.
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*timeout*float64(time.Second)))
	defer cancel()
	conn, err := grpc.Dial(*addr, grpc.WithInsecure())
	if err != nil {
		printErr("", err)
		return 1
	}
	defer conn.Close()
	c := api.NewProdServiceClient(conn)

	if rest[0] == "getprodtypes" {
		r, err := c.GetVendorProdTypes(ctx, &api.ClientRequestType{Vendor: rest[1]})
		if err != nil {
			printErr("error while calling client.GetVendorProdTypes() method: ", err)
			return 1
		}
		fmt.Printf("%s cloud products type are: %s\n", rest[1], r.GetProductType())
		return 0
	}
	const prefix = "error while receiving the stream for client.GetVendorProds: "
	stream, err := c.GetVendorProds(ctx, &api.ClientRequestProds{Vendor: rest[1], ProductType: rest[2]})
	if err != nil {
		printErr(prefix, err)
		return 1
	}
	for n := 0; ; {
		m, err := stream.Recv()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			printErr(prefix, err)
			return 1
		}
		p := m.GetProduct()
		fmt.Printf("Title: %s, Url: %s,  ShortUrl: %s\n", p.GetTitle(), p.GetUrl(), p.GetShortUrl())
		n++
		if *cancelAfter > 0 && n == *cancelAfter {
			// Cancel the call (RST_STREAM CANCEL) and keep the connection
			// open a while, so the server sees the reset, not a close.
			cancel()
			time.Sleep(time.Second)
			return 0
		}
	}
}
