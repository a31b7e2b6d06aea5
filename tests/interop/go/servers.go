package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"fwinterop/api"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// serve listens on addr and serves until SIGTERM or SIGINT.
func serve(who, addr string, register func(*grpc.Server)) int {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		logf(who, "cannot listen on %s: %v", addr, err)
		return 1
	}
	s := grpc.NewServer()
	register(s)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		s.Stop()
	}()
	logf(who, "listening on %s", addr)
	if err := s.Serve(lis); err != nil {
		logf(who, "serve: %v", err)
		return 1
	}
	logf(who, "stopped")
	return 0
}

// ctxStatus is the status for a call whose context ended.
func ctxStatus(ctx context.Context) error {
	if ctx.Err() == context.DeadlineExceeded {
		return status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	}
	return status.Error(codes.Canceled, "context canceled")
}

// ---- StorageService ---------------------------------------------------------

type storageServer struct {
	api.UnimplementedStorageServiceServer
	delay time.Duration
}

func (s *storageServer) GetProdsDetail(ctx context.Context, req *api.StorageRequest) (*api.StorageResponse, error) {
	vendor, ptype := strings.ToLower(req.GetVendor()), strings.ToLower(req.GetProductType())
	logf("storage", "have received a request for -> %s <- product type from -> %s <- vendor", ptype, vendor)
	if s.delay > 0 {
		// The article's "heavy processing", cut short when the caller goes.
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			why := "cancel"
			if ctx.Err() == context.DeadlineExceeded {
				why = "deadline"
			}
			logf("storage", "the call was dropped (%s): %s %s", why, vendor, ptype)
			return nil, ctxStatus(ctx)
		}
	}
	types, ok := catalogue[vendor]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "Invalid Vendor: %s", vendor)
	}
	prods, ok := types[ptype]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "Invalid ProductType: %s", ptype)
	}
	resp := &api.StorageResponse{}
	for _, p := range prods {
		resp.ProdDetail = append(resp.ProdDetail, &api.Product{Title: p.title, Url: p.url})
	}
	logf("storage", "a number of %d products were sent to client", len(prods))
	return resp, nil
}

func runStorageServer(args []string) int {
	fs := flag.NewFlagSet("storage-server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:6000", "")
	fs.String("db", "", "ignored: the catalogue is built in")
	delay := fs.Int("delay-ms", 0, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	return serve("storage", *listen, func(s *grpc.Server) {
		api.RegisterStorageServiceServer(s, &storageServer{delay: time.Duration(*delay) * time.Millisecond})
	})
}

// ---- ProdService ------------------------------------------------------------

type prodServer struct {
	api.UnimplementedProdServiceServer
	storage api.StorageServiceClient
	delay   time.Duration
}

func (s *prodServer) GetVendorProdTypes(ctx context.Context, req *api.ClientRequestType) (*api.ClientResponseType, error) {
	vendor := strings.ToLower(req.GetVendor())
	logf("prod", "have received a request for -> %s <- vendor", vendor)
	if _, ok := catalogue[vendor]; !ok {
		return nil, status.Error(codes.InvalidArgument, "wrong vendor, select between google, aws, oracle")
	}
	return &api.ClientResponseType{ProductType: productTypes}, nil
}

func shortURL() string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "https://made-up-url.com/" + hex.EncodeToString(b)
}

func (s *prodServer) GetVendorProds(req *api.ClientRequestProds, stream api.ProdService_GetVendorProdsServer) error {
	ctx := stream.Context()
	logf("prod", "have received a request for -> %s <- product type from -> %s <- vendor",
		req.GetProductType(), req.GetVendor())
	// The caller's context carries its deadline and cancel on to storage.
	resp, err := s.storage.GetProdsDetail(ctx, &api.StorageRequest{Vendor: req.GetVendor(), ProductType: req.GetProductType()})
	if err != nil {
		st := status.Convert(err)
		// Storage got the caller's deadline: its DeadlineExceeded is the
		// caller's, worded as our gateway words it (docs/design.md).
		if ctx.Err() != nil || st.Code() == codes.DeadlineExceeded {
			logf("prod", "the call ended while waiting for storage: %s", st.Message())
			if ctx.Err() == context.Canceled {
				return ctxStatus(ctx)
			}
			return status.Error(codes.DeadlineExceeded, "context deadline exceeded")
		}
		logf("prod", "error while calling client.GetProdsDetail() method: %s", st.Message())
		return status.Errorf(st.Code(), "error while calling client.GetProdsDetail() method: %s", st.Message())
	}
	for _, p := range resp.GetProdDetail() {
		if s.delay > 0 {
			select {
			case <-time.After(s.delay):
			case <-ctx.Done():
				if ctx.Err() == context.DeadlineExceeded {
					logf("prod", "deadline has exceeded, stopping server side operation")
				} else {
					logf("prod", "the user has canceled the request, stopping server side operation")
				}
				return ctxStatus(ctx)
			}
		}
		m := &api.ClientResponseProds{Product: &api.ProdsPrep{Title: p.GetTitle(), Url: p.GetUrl(), ShortUrl: shortURL()}}
		if err := stream.Send(m); err != nil {
			logf("prod", "send: %v", err)
			return err
		}
	}
	logf("prod", "a number of %d products were sent to client", len(resp.GetProdDetail()))
	return nil
}

func runProdServer(args []string) int {
	fs := flag.NewFlagSet("prod-server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "")
	storage := fs.String("storage", "127.0.0.1:6000", "")
	delay := fs.Int("stream-delay-ms", 0, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	// One persistent connection to storage, dialled lazily by grpc-go.
	conn, err := grpc.Dial(*storage, grpc.WithInsecure())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer conn.Close()
	return serve("prod", *listen, func(s *grpc.Server) {
		api.RegisterProdServiceServer(s, &prodServer{storage: api.NewStorageServiceClient(conn),
			delay: time.Duration(*delay) * time.Millisecond})
	})
}
