// `suanli serve`: the HTTP service (JSON API under /api/v1, dashboard at /)
// over a persistent store. SIGTERM or SIGINT: stop accepting, let running
// runs finish for --grace seconds, checkpoint the rest as "interrupted"
// (restarted on the next start), close the store.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <ostream>
#include <thread>
#include <vector>

#include "app/app.h"
#include "service/http_server.h"
#include "service/service.h"
#include "store/store.h"

namespace suanli::app {

namespace {

struct ServeState {
  std::string listen = "127.0.0.1:8080";
  std::string db;
  std::string data_dir = "suanli-data";
  bool read_requires_token = false;
  int workers = 1;
  int threads = 16;
  int max_connections = 1000;
  int max_client_connections = 500;
  double header_timeout_s = 10;
  double idle_timeout_s = 5;
  std::size_t max_body = 1 << 20;
  double rate_limit = 2000;
  double grace_s = 30;
  bool no_examples = false;
  std::vector<std::string> trace_dirs;
  std::size_t max_runs_per_token = 32;
  bool read_only = false;
};

int run_serve(Context& ctx, const ServeState& s) {
  auto listen = service::parse_listen(s.listen);
  if (!listen) return ctx.report(listen.error());

  // Signals go to a dedicated thread (sigtimedwait), never to a handler:
  // block them before any thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  service::ServiceOptions options;
  options.db_url = s.db;
  options.data_dir = s.data_dir;
  options.catalog_dirs = ctx.catalog_dirs();
  options.read_requires_token = s.read_requires_token;
  options.run_workers = s.workers;
  options.import_examples = !s.no_examples;
  options.trace_dirs.assign(s.trace_dirs.begin(), s.trace_dirs.end());
  options.max_runs_per_token = s.max_runs_per_token;
  options.read_only = s.read_only;
  auto lang = ctx.lang();
  if (!lang) return ctx.report(lang.error());
  options.lang = *lang;  // --lang / SUANLI_LANG: the dashboard's default language
  auto svc = service::Service::open(options);
  if (!svc) return ctx.report(svc.error());

  service::HttpOptions http;
  http.host = listen->first;
  http.port = listen->second;
  http.max_body_bytes = s.max_body;
  http.rate_per_s = s.rate_limit;
  http.burst = 2 * s.rate_limit;
  http.threads = s.threads;
  http.max_connections = s.max_connections;
  http.max_connections_per_client = s.max_client_connections;
  http.header_timeout_s = s.header_timeout_s;
  http.idle_timeout_s = s.idle_timeout_s;
  service::HttpServer server(**svc, http);
  if (auto bound = server.bind(); !bound) return ctx.report(bound.error());
  const bool loopback = http.host == "127.0.0.1" || http.host == "::1" || http.host == "localhost";
  ctx.out() << fmt::format("listening on http://{}:{} (store {}, {})\n", http.host, server.port(),
                           (*svc)->store().backend(),
                           s.read_requires_token ? "tokens required for reads too"
                                                 : "reads open, writes need a token")
            << std::flush;
  if (!loopback) {
    ctx.err() << fmt::format(
        "warning: listening on {}, not loopback: anyone who reaches this address can read "
        "(use --read-requires-token) and needs only a token to write\n",
        http.host);
  }

  std::atomic<bool> done{false};
  std::atomic<int> received{0};
  std::thread watcher([&] {
    const timespec tick{0, 200'000'000};
    while (!done.load()) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        received = sig;
        server.stop();
        return;
      }
    }
  });
  auto ran = server.run();
  done = true;
  watcher.join();
  if (received.load() != 0) {
    ctx.err() << fmt::format("{}: stopping; running runs get {:.0f} s to finish\n",
                             received.load() == SIGTERM ? "SIGTERM" : "SIGINT", s.grace_s);
  }
  (*svc)->shutdown(std::chrono::milliseconds(static_cast<long long>(s.grace_s * 1000)));
  svc->reset();
  if (!ran) return ctx.report(ran.error());
  ctx.err() << "stopped cleanly\n";
  return kExitOk;
}

}  // namespace

void register_serve(CLI::App& app, Context& ctx) {
  auto s = std::make_shared<ServeState>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the HTTP service: JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json), "
      "dashboard at /, persistent state in SQLite (default) or PostgreSQL. Writes need a bearer "
      "token (suanli token create). Stops cleanly on SIGTERM.");
  cmd->add_option("--listen", s->listen,
                  "HOST:PORT to listen on (loopback by default; port 0: any)")
      ->capture_default_str();
  cmd->add_option("--db", s->db,
                  "Store URL: sqlite:PATH or postgresql://user@host:port/db (default: "
                  "sqlite:DATA_DIR/suanli.db)");
  cmd->add_option("--data-dir", s->data_dir, "Directory for the SQLite store and run artefacts")
      ->capture_default_str();
  cmd->add_flag("--read-requires-token", s->read_requires_token,
                "Require a bearer token (read-only is enough) for reads too");
  cmd->add_option("--workers", s->workers, "Concurrent simulate/plan/report runs")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--threads", s->threads,
                  "HTTP worker threads; they only take fully received requests, so slow or "
                  "idle clients hold none")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--max-connections", s->max_connections,
                  "Open HTTP connections in all; beyond, the longest-idle keep-alive one is "
                  "closed, or the new one gets a 503")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--max-client-connections", s->max_client_connections,
                  "Open HTTP connections from one client address (0: no per-address limit)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--header-timeout", s->header_timeout_s,
                  "Seconds a client has to send a request's whole header block (then 408)")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout", s->idle_timeout_s,
                  "Seconds an idle keep-alive connection is kept open")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  cmd->add_option("--max-body", s->max_body, "Largest request body in bytes (larger: 413)")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20))
      ->capture_default_str();
  cmd->add_option("--rate-limit", s->rate_limit,
                  "Requests per second per client address (burst twice that; 0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--grace", s->grace_s,
                  "Seconds running runs get to finish on SIGTERM before they are checkpointed")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--trace-dir", s->trace_dirs,
                  "A directory scenarios run by the service may read [[traces]] files from "
                  "(repeatable; besides DATA_DIR/scenarios and $SUANLI_TRACES). Paths in a "
                  "scenario must be relative, without '..', and stay inside it")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--max-runs-per-token", s->max_runs_per_token,
                  "Queued plus running runs one token may have at once (more: 429)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{256}))
      ->capture_default_str();
  cmd->add_flag("--read-only", s->read_only,
                "Open the store for reading only, beside the process that writes it (e.g. "
                "`suanli slurm agent`): writes answer 503, runs are not executed, and the live "
                "fleet follows the store's new events");
  cmd->add_flag("--no-examples", s->no_examples,
                "Do not import the bundled example scenarios into an empty store");
  cmd->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_serve(ctx, *s); }; });
}

}  // namespace suanli::app
