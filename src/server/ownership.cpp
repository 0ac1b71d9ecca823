// Ownership data for the Affiliates rule over HTTP, and at start:
//   POST /v1/ownership (admin)  records "owner holds percent of party" rows, the fields of an
//                               `--ownership` file; checked whole against the stored rows (a pair
//                               given twice, shares above 100%), recorded with one audit record, in use
//                               by the next decision. A later row of the same pair replaces the earlier.
//   chipgate serve --ownership  the file's rows recorded the same way at start (only when they change
//                               what the store holds), then every stored row is put in use.
// The store's rows are the ownership data decisions use; each decision names its content id.
// Instances sharing a store read the rows at start (an import through another instance is used
// here after a restart), as with list imports.
#include "io/ownership.h"

#include <map>

#include "core/json_util.h"
#include "server/service.h"

namespace chipgate::server {

namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kSystemActor = "system:serve";

Response json_response(int status, const ojson& body) {
  return {status, "application/json", body.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n", {}};
}

Response error_response(int status, const std::string& code, const std::string& message,
                        std::vector<FieldError> fields = {}) {
  return json_response(status, ApiError{status, code, message, std::move(fields)}.to_json());
}

store::OwnershipRow to_row(const license::OwnershipRecord& r) {
  store::OwnershipRow row;
  row.party_key = license::ownership_key(r.party);
  row.owner_key = license::ownership_key(r.owner);
  row.party = r.party;
  row.owner = r.owner;
  if (r.percent) row.percent = format_number(*r.percent);
  row.source = r.source;
  if (r.as_of) row.as_of = r.as_of->to_string();
  return row;
}

license::OwnershipRecord to_record(const store::OwnershipRow& row) {
  license::OwnershipRecord r;
  r.party = row.party;
  r.owner = row.owner;
  if (row.percent) r.percent = std::strtod(row.percent->c_str(), nullptr);
  r.source = row.source;
  if (row.as_of)
    if (auto d = Date::parse(*row.as_of)) r.as_of = d.value();
  return r;
}

// The stored rows with `incoming` applied (a pair already stored is replaced), incoming last: the
// checks across records then report a problem on the incoming record that causes it. Returns the
// index of the first incoming record.
std::size_t merge(const std::vector<store::OwnershipRow>& stored, const std::vector<license::OwnershipRecord>& incoming,
                  std::vector<license::OwnershipRecord>& out) {
  std::map<std::pair<std::string, std::string>, bool> replaced;
  for (const auto& r : incoming) replaced[{license::ownership_key(r.party), license::ownership_key(r.owner)}] = true;
  for (const auto& row : stored)
    if (!replaced.count({row.party_key, row.owner_key})) out.push_back(to_record(row));
  const std::size_t first = out.size();
  out.insert(out.end(), incoming.begin(), incoming.end());
  return first;
}

bool same(const store::OwnershipRow& a, const store::OwnershipRow& b) {
  return a.party == b.party && a.owner == b.owner && a.percent == b.percent && a.source == b.source &&
         a.as_of == b.as_of;
}

}  // namespace

Status Service::reload_ownership() {
  auto rows = store_->ownership();
  if (!rows) return rows.status();
  std::shared_ptr<const license::OwnershipGraph> graph;
  if (!rows->empty()) {
    std::vector<license::OwnershipRecord> records;
    for (const auto& row : rows.value()) records.push_back(to_record(row));
    auto g = license::OwnershipGraph::build(std::move(records));
    if (!g) return Status::error("the store's ownership data: " + g.message());
    graph = std::move(g).value();
  }
  auto current = engine();
  auto next = std::make_shared<Engine>();
  next->screener = current->screener;
  next->list_paths = current->list_paths;
  next->registry = current->registry;
  next->ownership = std::move(graph);
  std::lock_guard lock(engine_mutex_);
  engine_ = std::move(next);
  return Status::ok();
}

Status Service::sync_ownership() {
  std::lock_guard lock(import_mutex_);
  const std::string& path = options_.ownership_file;
  if (!path.empty()) {
    auto file = io::load_ownership(path);
    if (!file) return Status::error("--ownership: " + file.message());
    if (!file->errors.empty())
      return Status::error("--ownership: " + path + ": " + file->errors.front().to_string() + " (" +
                           std::to_string(file->errors.size()) + " problem(s); nothing from the file was used)");
    auto stored = store_->ownership();
    if (!stored) return Status::error("--db: " + stored.message());
    std::vector<license::OwnershipRecord> merged;
    const std::size_t first = merge(stored.value(), file->records, merged);
    if (auto problems = license::check_ownership(merged); !problems.empty()) {
      const auto& p = problems.front();
      const std::string where = p.index >= first ? "row " + std::to_string(merged[p.index].row) : "a stored row";
      return Status::error("--ownership: " + path + ": " + where + ", column " + p.field + ": " + p.problem +
                           " (with the ownership rows already in the store)");
    }
    std::map<std::pair<std::string, std::string>, const store::OwnershipRow*> by_key;
    for (const auto& row : stored.value()) by_key[{row.party_key, row.owner_key}] = &row;
    std::vector<store::OwnershipRow> changed;
    for (const auto& r : file->records) {
      auto row = to_row(r);
      auto it = by_key.find({row.party_key, row.owner_key});
      if (it == by_key.end() || !same(*it->second, row)) changed.push_back(std::move(row));
    }
    if (!changed.empty()) {
      auto audit = store_->record_ownership(kSystemActor, changed, {{"file", path}});
      if (!audit) return Status::error("--db: recording the --ownership file: " + audit.message());
    }
  }
  if (auto st = reload_ownership(); !st) return Status::error("--db: " + st.message());
  return Status::ok();
}

Response Service::ownership_post(const Request& request, const std::string& actor) {
  if (!request.query.empty())
    return error_response(400, "invalid_request", "unknown query parameter '" + request.query.begin()->first + "'",
                          {{request.query.begin()->first, "unknown"}});
  ApiError err;
  auto req = parse_ownership_request(request.body, options_.limits, err);
  if (!req) return json_response(err.status, err.to_json());
  std::lock_guard lock(import_mutex_);  // one ownership import (or list import) at a time
  auto stored = store_->ownership();
  if (!stored) {
    log("reading the ownership rows failed: " + stored.message());
    return error_response(503, "store_unavailable", "the stored ownership rows could not be read; nothing recorded");
  }
  std::vector<license::OwnershipRecord> merged;
  const std::size_t first = merge(stored.value(), req->records, merged);
  std::vector<FieldError> problems;
  for (const auto& p : license::check_ownership(merged)) {
    const std::size_t i = p.index >= first ? p.index - first : 0;
    problems.push_back({(req->batch ? "[" + std::to_string(i) + "]." : std::string()) + p.field,
                        p.problem + (p.index >= first ? "" : " (a stored row)")});
  }
  if (!problems.empty()) {
    const std::string message = "invalid ownership record: " + problems.front().field + ": " +
                                problems.front().problem +
                                " (with the ownership rows already recorded); nothing recorded";
    return error_response(400, "invalid_request", message, std::move(problems));
  }
  std::vector<store::OwnershipRow> rows;
  for (const auto& r : req->records) rows.push_back(to_row(r));
  auto audit = store_->record_ownership(actor, rows);
  if (!audit) {
    log("record_ownership failed: " + audit.message());
    return error_response(503, "store_unavailable", "the ownership rows could not be recorded; nothing recorded");
  }
  if (auto st = reload_ownership(); !st) {
    log("ownership recorded (audit record " + std::to_string(audit.value()) + ") but not loaded: " + st.message());
    return error_response(503, "store_unavailable",
                          "the ownership rows were recorded (audit record " + std::to_string(audit.value()) +
                              ") but could not be loaded; decisions use them after a restart");
  }
  metrics_.add_recorded("ownership.import", rows.size());
  const auto graph = engine()->ownership;
  return json_response(201, ojson{{"audit_id", audit.value()},
                                  {"records", rows.size()},
                                  {"total_records", graph ? graph->records().size() : 0},
                                  {"ownership_id", graph ? ojson(graph->content_id()) : ojson(nullptr)}});
}

}  // namespace chipgate::server
