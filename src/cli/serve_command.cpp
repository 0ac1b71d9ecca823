// chipgate serve: the HTTP/JSON API (src/server) over the same library calls as the CLI, with every
// decision recorded in the store (SQLite by default, PostgreSQL with --db postgresql://...).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/common.h"
#include "io/classification_output.h"
#include "screen/screener.h"
#include "server/head_publisher.h"
#include "server/http_server.h"
#include "server/log_line.h"
#include "server/service.h"
#include "store/store.h"

namespace chipgate::cli {

namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string db;
  std::string rules_dir;
  std::vector<std::string> lists;
  std::vector<std::string> lists_dirs;
  std::string catalog;
  std::string letters;
  std::string ownership;
  unsigned threads = 32;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_list_upload_bytes = std::size_t{64} << 20;
  std::size_t max_batch = 1000;
  int timeout_s = 10;
  int header_timeout_s = 10;
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_client = 64;
  int denial_window_s = 60;
  bool no_record = false;
  std::string port_file;
  std::string terms;
  std::int64_t key_cache_ms = 2000;
  std::int64_t commit_delay_us = 200;
  std::string publish_head;  // file or URL for signed anchors of the audit head
  std::string publish_every = "5m";
  std::string head_key;
};

// How long one store statement may take in the server (OpenOptions::statement_timeout_ms): a request
// waiting longer for the store (a PostgreSQL server that is stopped or frozen, a lock held elsewhere)
// is answered 503 and nothing is acknowledged; 5 s is far beyond a healthy commit (~1 ms).
constexpr std::int64_t kStoreStatementTimeoutMs = 5000;

int run(const ServeOptions& o, const char* argv0) {
  // SIGTERM/SIGINT are taken by a waiting thread (below) rather than a handler: blocked here, before
  // any other thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string spec = o.db.empty() ? store::Store::default_spec() : o.db;
  store::OpenOptions store_options;
  store_options.pool_size = std::max<std::size_t>(8, o.threads / 2);
  store_options.key_cache_ms = o.key_cache_ms;
  store_options.group_commit_delay_us = o.commit_delay_us;
  store_options.background_checkpoint = true;
  store_options.statement_timeout_ms = kStoreStatementTimeoutMs;
  auto opened = store::Store::open(spec, store_options);
  if (!opened) {
    std::cerr << "chipgate serve: --db: " << opened.message() << "\n";
    return kExitFatal;
  }
  std::shared_ptr<store::Store> db(std::move(opened).value());

  server::ServiceOptions so;
  so.rules_dir = find_rules_dir(o.rules_dir, argv0);
  so.catalog = o.catalog.empty() ? bundled_data_file(so.rules_dir, "sample-catalog.csv") : o.catalog;
  so.letters = o.letters;
  so.terms_file = screen::find_terms_file(o.terms, argv0);
  so.lists = o.lists;  // none: parties are not screened until lists are imported (never the sample list silently)
  so.ownership_file = o.ownership;
  so.list_dirs = o.lists_dirs;
  so.denial_window = std::chrono::seconds(o.denial_window_s);
  so.limits.max_body_bytes = o.max_body_bytes;
  so.limits.max_list_upload_bytes = o.max_list_upload_bytes;
  so.limits.max_batch = o.max_batch;
  so.record = !o.no_record;
  auto service = server::Service::create(so, db);
  if (!service) {
    std::cerr << "chipgate serve: " << service.message() << "\n";
    return kExitFatal;
  }
  std::unique_ptr<server::HeadPublisher> publisher;  // stopped (with a last anchor) after the server
  if (!o.publish_head.empty()) {
    auto every = server::parse_duration(o.publish_every);
    if (!every) {
      std::cerr << "chipgate serve: --publish-every: " << every.message() << "\n";
      return kExitFatal;
    }
    auto p = server::HeadPublisher::start(db, {o.publish_head, every.value(), o.head_key}, [](const std::string& line) {
      std::cerr << "chipgate serve: " << line << "\n";
    });
    if (!p) {
      std::cerr << "chipgate serve: " << p.message() << "\n";
      return kExitFatal;
    }
    publisher = std::move(p).value();
  }
  server::HttpOptions ho;
  ho.host = o.host;
  ho.port = o.port;
  ho.threads = o.threads;
  ho.header_timeout_s = o.header_timeout_s;
  ho.read_timeout_s = o.timeout_s;
  ho.write_timeout_s = o.timeout_s;
  ho.max_connections = o.max_connections;
  ho.max_connections_per_client = o.max_connections_per_client;
  server::HttpServer http(std::shared_ptr<server::Service>(std::move(service).value()), ho);
  auto port = http.bind();
  if (!port) {
    std::cerr << "chipgate serve: " << port.message() << "\n";
    return kExitFatal;
  }
  if (!o.port_file.empty()) {
    std::ofstream(o.port_file) << port.value() << "\n";
  }
  std::cerr << "chipgate serve: listening on http://" << o.host << ":" << port.value() << " (store " << db->backend()
            << (o.no_record ? ", decisions NOT recorded (--no-record)" : "") << ", catalog " << so.catalog
            << (so.lists.empty() ? ", NO restricted-party lists: parties not screened until POST /v1/lists" : "")
            << ")\n"
            << io::kDisclaimer << "\n";

  std::atomic<bool> done{false};
  std::thread waiter([&] {
    const timespec tick{0, 200'000'000};
    while (!done) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        // Workers may be logging at this moment: one write for the whole line.
        server::write_log_line(std::string("chipgate serve: ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                               ": finishing the requests in flight, then exiting");
        http.stop();
        return;
      }
    }
  });
  const Status st = http.run();
  done = true;
  waiter.join();
  if (!st) {
    std::cerr << "chipgate serve: " << st.message() << "\n";
    return kExitFatal;
  }
  std::cerr << "chipgate serve: stopped\n";
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code, const char* argv0) {
  static ServeOptions o;
  auto* cmd = app.add_subcommand("serve", "Serve the HTTP/JSON API (classify, decide, screen, records; see README)");
  cmd->add_option("--port", o.port, "TCP port (0 = any free port; see --port-file)")->check(CLI::Range(0, 65535));
  cmd->add_option("--host", o.host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--db", o.db,
                  "Store: sqlite:PATH or postgresql://... (default $CHIPGATE_DB, else sqlite:chipgate.db)");
  cmd->add_option("--rules", o.rules_dir, "Rules directory (default: rules/us-ear of this build)");
  cmd->add_option("--lists", o.lists,
                  "Restricted-party list file or folder, repeatable (none: parties are not screened until lists are "
                  "imported with POST /v1/lists, and lines naming a party are never answered 'no licence')");
  cmd->add_option("--ownership", o.ownership,
                  "Ownership data for the Affiliates rule (CSV party,owner,percent,source[,as_of] or JSON Lines), "
                  "recorded in the store; POST /v1/ownership adds rows");
  cmd->add_option("--lists-dir", o.lists_dirs,
                  "Folder from which POST /v1/lists {\"paths\": [...]} may read list files (repeatable; default none: "
                  "that form is refused and lists are sent inline)");
  cmd->add_option("--catalog", o.catalog,
                  "Catalog the order lines' product_id refer to (default: data/sample-catalog.csv)");
  cmd->add_option("--letters", o.letters, "Company-specific is-informed letters (TOML)");
  cmd->add_option("--terms", o.terms, "Screening word lists (default: data/screening/terms.toml)");
  cmd->add_option("--threads", o.threads,
                  "Worker threads = requests handled at once (default 32); slow or idle connections hold none")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--max-connections", o.max_connections,
                  "Connections open at once; beyond, a connection is answered 503 and closed (default 4096, "
                  "capped by the file descriptor limit)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-connections-per-client", o.max_connections_per_client,
                  "Connections open at once from one client address; beyond, 429 and closed (default 64)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body accepted (default 1048576)")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--max-list-upload-bytes", o.max_list_upload_bytes,
                  "Largest body of POST /v1/lists, which may carry list files inline, from an admin key "
                  "(default 67108864 = 64 MiB; the other routes keep --max-body-bytes)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32));
  cmd->add_option("--max-batch", o.max_batch, "Most elements in a batch (JSON array) body (default 1000)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--header-timeout", o.header_timeout_s,
                  "Seconds a client has to send a whole request head (line and headers), from its first byte or the "
                  "connection's opening; then 408 and closed (default 10)")
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--timeout", o.timeout_s,
                  "Seconds a client has to send a whole request body, and to take a whole response (default 10)")
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--denial-window", o.denial_window_s,
                  "Authentication denials (401/403) from one client address within this many seconds share one log "
                  "line and at most two audit records: the first at once, the rest as one count (default 60)")
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("--no-record", o.no_record,
                "Do NOT record decisions (decision_id is null). Only for measuring the cost of recording");
  cmd->add_option("--key-cache-ms", o.key_cache_ms,
                  "Trust a key read from the store for this long, ms (default 2000; 0 = read it on every request). "
                  "A key revoked through another instance is refused after at most this delay")
      ->check(CLI::Range(0, 600000));
  cmd->add_option("--commit-delay-us", o.commit_delay_us,
                  "Under concurrent load, wait this long (µs) to let more decisions join one store transaction "
                  "(default 200; 0 = commit each group at once)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--port-file", o.port_file, "Write the port listened on to this file once ready");
  cmd->add_option("--publish-head", o.publish_head,
                  "Publish a signed anchor of the audit chain's head to this file (replaced atomically) or http(s) URL "
                  "(POST), at start, every --publish-every and at stop; check it with audit verify --head");
  cmd->add_option("--publish-every", o.publish_every, "How often to publish the head: 90s, 5m, 1h, 1d (default 5m)");
  cmd->add_option("--head-key", o.head_key, "Private key that signs the anchors (chipgate audit keygen)");
  cmd->callback([&exit_code, argv0] { exit_code = run(o, argv0); });
}

}  // namespace chipgate::cli
