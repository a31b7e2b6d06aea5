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
// -tls-cert/-tls-key (and -tls-client-ca, client certificates required and
// verified) serve TLS with Go's crypto/tls, session tickets on (its default),
// for tools/bench-fleet.sh's connection rates.
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
	"crypto/tls"
	"crypto/x509"
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
	"google.golang.org/grpc/credentials"
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

// tlsConfig: the server's certificate, and with a CA, client certificates
// required and verified against it.
func tlsConfig(cert, key, clientCA string) *tls.Config {
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		log.Fatalf("cannot load %s, %s: %v", cert, key, err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{pair}}
	if clientCA != "" {
		pem, err := os.ReadFile(clientCA)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			log.Fatalf("cannot load the client CA %s: %v", clientCA, err)
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	storage := flag.String("storage", "127.0.0.1:6000", "storage address")
	delay := flag.Int("stream-delay-ms", 0, "sleep after each streamed product")
	shared := flag.Bool("shared-storage", false, "one storage connection for all calls (else one per call, as the article)")
	cert := flag.String("tls-cert", "", "serve TLS with this certificate (PEM)")
	key := flag.String("tls-key", "", "and this key (PEM)")
	clientCA := flag.String("tls-client-ca", "", "require client certificates signed by this CA (PEM)")
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
	var opts []grpc.ServerOption
	scheme := "http"
	if *cert != "" {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsConfig(*cert, *key, *clientCA))))
		scheme = "https"
	}
	s := grpc.NewServer(opts...)
	api.RegisterProdServiceServer(s, srv)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; s.Stop() }()
	log.Printf("Serving gRPC on %s://%s", scheme, *listen)
	if err := s.Serve(lis); err != nil && err != grpc.ErrServerStopped {
		log.Fatalf("failed to serve: %v", err)
	}
}
