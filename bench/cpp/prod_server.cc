// prod_server.cc - ProdService.GetVendorProdTypes in grpc C++, a peer of our
// gateway in the unary comparison of `make bench` (tools/bench.sh). It
// answers as the grpc-go peer (bench/go/prod_server.go) does:
//
//   GetVendorProdTypes: google, aws, oracle (lowercased) -> " compute
//     storage" (the article's value, leading space kept); anything else ->
//     InvalidArgument "wrong vendor, select between google, aws, oracle".
//   GetVendorProds: Unimplemented (only the unary method is measured).
//
// One log line per request on stderr, like the article, the grpc-go peer and
// our gateway. A synchronous grpc::ServerBuilder server with its default
// thread model: grpc C++ 1.51's sync server polls one completion queue with
// a pool of threads (1 to 2 idle pollers kept; a poller that takes a call
// runs the handler and a new poller is started if none is left, so the pool
// grows with the calls in flight and shrinks back), plus grpc core's own
// threads (timers, executor). tools/bench.sh pins the whole process to one
// core with taskset.
//
//   prod_server -listen HOST:PORT   (also --listen, -listen=..., --port PORT)
//
// Stops on SIGTERM or SIGINT. Built by tools/bench.sh into build/bench/cpp/
// (protoc + grpc_cpp_plugin into build/bench/cpp/gen, g++ -O2, pkg-config
// grpc++ protobuf): Debian 12's libgrpc++-dev 1.51 and libprotobuf-dev.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "api.grpc.pb.h"

namespace {

// logf: one line on stderr with Go's log timestamp ("2006/01/02 15:04:05 "),
// written in one call (stderr is unbuffered).
void logf(const char *fmt, const std::string &arg) {
  char ts[32];
  time_t now = time(nullptr);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y/%m/%d %H:%M:%S", &tm);
  char msg[512];
  snprintf(msg, sizeof msg, fmt, arg.c_str());
  fprintf(stderr, "%s %s\n", ts, msg);
}

class ProdServiceImpl final : public api::ProdService::Service {
  grpc::Status GetVendorProdTypes(grpc::ServerContext *, const api::ClientRequestType *in,
                                  api::ClientResponseType *out) override {
    std::string vendor = in->vendor();
    std::transform(vendor.begin(), vendor.end(), vendor.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    logf("have received a request for -> %s <- as vendor", vendor);
    if (vendor == "google" || vendor == "aws" || vendor == "oracle") {
      out->set_producttype(" compute storage");
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "wrong vendor, select between google, aws, oracle");
  }
  // GetVendorProds: the base class answers UNIMPLEMENTED.
};

void usage(const char *argv0) {
  fprintf(stderr, "usage: %s [-listen HOST:PORT | --port PORT]\n", argv0);
  exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  std::string listen = "127.0.0.1:8080";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) a.erase(0, 1);  // --flag as -flag, as Go's flag does
    std::string val;
    size_t eq = a.find('=');
    bool has_val = eq != std::string::npos;
    if (has_val) {
      val = a.substr(eq + 1);
      a.erase(eq);
    }
    if (a == "-listen" || a == "-port") {
      if (!has_val) {
        if (i + 1 >= argc) usage(argv[0]);
        val = argv[++i];
      }
      listen = a == "-port" ? "127.0.0.1:" + val : val;
    } else {
      usage(argv[0]);
    }
  }

  // SIGTERM and SIGINT are blocked in every thread (grpc's threads inherit
  // the mask) and taken by one thread with sigwait, which shuts down.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  ProdServiceImpl service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    fprintf(stderr, "failed to listen on %s\n", listen.c_str());
    return 1;
  }
  logf("Serving gRPC on http://%s", listen);

  std::thread stopper([&] {
    int sig;
    sigwait(&sigs, &sig);
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  });
  server->Wait();
  stopper.join();
  return 0;
}
