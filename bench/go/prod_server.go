// prod_server.go - the article's gateway in grpc-go, the peer of our gateway in
// `make bench` (tools/bench.sh). It serves api.ProdService as the article's Go
// server does:
//
//	GetVendorProdTypes: google, aws, oracle -> " compute storage" (the
//	  article's value, leading space kept); anything else -> InvalidArgument.
//	GetVendorProds: dials storage for every request (the article's way; our
//	  gateway keeps one multiplexed connection instead), calls
//	  StorageService.GetProdsDetail with the client's deadline, and streams
//	  each product with a ShortUrl made of 6 characters of a random UUID;
//	  -stream-delay-ms N sleeps N ms after each product (the article's
//	  "heavy processing"), as our gateway's --stream-delay-ms does.
//
// One log line per request on stderr, like the article (and our gateway).
// Built in GOPATH mode against Debian's grpc-go:
//
//	GO111MODULE=off GOPATH=build/bench/go:/usr/share/gocode go build bench/go/prod_server.go
//
// where build/bench/go/src/api holds protoc-gen-go's output for proto/api.proto.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"api"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type server struct {
	storage string
	delay   time.Duration
	shared  *grpc.ClientConn // -shared-storage: one connection for every call
}

func (s *server) GetVendorProdTypes(ctx context.Context, in *api.ClientRequestType) (*api.ClientResponseType, error) {
	vendor := strings.ToLower(in.GetVendor())
	log.Printf("have received a request for -> %s <- as vendor", vendor)
	switch vendor {
	case "google", "aws", "oracle":
		return &api.ClientResponseType{ProductType: " compute storage"}, nil
	}
	return nil, status.Error(codes.InvalidArgument, "wrong vendor, select between google, aws, oracle")
}

// uuid4 returns a random (version 4) UUID in its text form.
func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *server) GetVendorProds(in *api.ClientRequestProds, stream api.ProdService_GetVendorProdsServer) error {
	log.Printf("have received a request for -> %s <- product type from -> %s <- vendor", in.GetProductType(), in.GetVendor())
	// The article dials storage per request; -shared-storage keeps one
	// connection, as our gateway does (the like-for-like comparison).
	conn := s.shared
	if conn == nil {
		c, err := grpc.Dial(s.storage, grpc.WithInsecure())
		if err != nil {
			return status.Errorf(codes.Unavailable, "did not connect: %v", err)
		}
		defer c.Close()
		conn = c
	}
	c := api.NewStorageServiceClient(conn)
	r, err := c.GetProdsDetail(stream.Context(), &api.StorageRequest{Vendor: in.GetVendor(), ProductType: in.GetProductType()},
		grpc.MaxCallRecvMsgSize(64<<20))
	if err != nil {
		st, _ := status.FromError(err)
		return status.Errorf(st.Code(), "error while calling client.GetProdsDetail() method: %v", st.Message())
	}
	n := 0
	for _, p := range r.GetProdDetail() {
		short := "https://made-up-url.com/" + uuid4()[:6]
		if err := stream.Send(&api.ClientResponseProds{Product: &api.ProdsPrep{Title: p.GetTitle(), Url: p.GetUrl(), ShortUrl: short}}); err != nil {
			return err
		}
		n++
		if s.delay > 0 {
			time.Sleep(s.delay)
		}
	}
	log.Printf("a number of %d products were sent to client", n)
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	storage := flag.String("storage", "127.0.0.1:6000", "storage address")
	delay := flag.Int("stream-delay-ms", 0, "sleep after each streamed product")
	shared := flag.Bool("shared-storage", false, "one storage connection for all calls (else one per call, as the article)")
	flag.Parse()
	srv := &server{storage: *storage, delay: time.Duration(*delay) * time.Millisecond}
	if *shared {
		c, err := grpc.Dial(*storage, grpc.WithInsecure())
		if err != nil {
			log.Fatalf("did not connect: %v", err)
		}
		srv.shared = c
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("failed to listen: %v", err)
	}
	s := grpc.NewServer()
	api.RegisterProdServiceServer(s, srv)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; s.Stop() }()
	log.Printf("Serving gRPC on http://%s", *listen)
	if err := s.Serve(lis); err != nil && err != grpc.ErrServerStopped {
		log.Fatalf("failed to serve: %v", err)
	}
}
