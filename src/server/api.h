// The HTTP API's request bodies: JSON text -> validated requests, with field-level errors.
//
// These functions are the only place where untrusted request bytes are interpreted (the libFuzzer
// target fuzz/request_fuzz.cpp drives them). Each body is what the CLI reads as one JSON record:
//   POST /v1/classify  an item with the catalog's field names (io::item_from_json), or an array of them
//   POST /v1/decide    an order line with the order book's field names (io/orders.h), or an array
//   POST /v1/screen    a party {"id", "name", "country", "address"}, or an array
//   POST /v1/ownership an ownership record {"party", "owner", "percent", "source", "as_of"}, or an array
//   POST /v1/lists     {"paths": ["file or folder on the server", ...]} (admin import), or the files'
//                      contents inline: {"files": [{"name": "bis_entity_list.json", "content": "..."}]}
// A client mistake is always an ApiError with a 4xx status and, where it concerns a field, the
// field's path ("[2].ship_to" in a batch, "rates.fp8" inside an item).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "classify/item.h"
#include "core/result.h"
#include "license/ownership.h"
#include "license/shipment.h"

namespace chipgate::server {

struct FieldError {
  std::string field;  // path of the offending field ("" = the whole body or element)
  std::string problem;
};

struct ApiError {
  int status = 400;
  std::string code;     // machine-readable: "invalid_json", "invalid_request", "body_too_large", ...
  std::string message;  // one sentence for a person
  std::vector<FieldError> fields;
  nlohmann::ordered_json to_json() const;  // {"error": {"status", "code", "message", "fields": [...]}}
};

struct Limits {
  std::size_t max_body_bytes = 1 << 20;  // 1 MiB
  std::size_t max_batch = 1000;          // elements of a JSON array body
  std::size_t max_depth = 32;            // JSON nesting
  // POST /v1/lists only (list files uploaded inline are several MB; the other routes keep
  // max_body_bytes): the real lists of ../shared/data/lists together are ~15 MB, more as JSON strings.
  std::size_t max_list_upload_bytes = std::size_t{64} << 20;  // 64 MiB
};

struct ClassifyRequest {
  bool batch = false;
  std::vector<classify::Item> items;
  std::vector<nlohmann::json> raw;  // each element as received (for the audit record)
};

struct DecideRequest {
  bool batch = false;
  std::vector<license::OrderLine> lines;
  std::vector<nlohmann::json> raw;
};

struct ScreenParty {
  std::string id;
  std::string name;
  std::string country;
  std::string address;
};

struct ScreenRequest {
  bool batch = false;
  std::vector<ScreenParty> parties;
  std::vector<nlohmann::json> raw;
};

// POST /v1/ownership: ownership records with the fields of an `--ownership` file (io/ownership.h).
struct OwnershipRequest {
  bool batch = false;
  std::vector<license::OwnershipRecord> records;  // each with row = its index + 1
};

struct ListImportRequest {
  std::vector<std::string> paths;
  bool force = false;  // import even when a list's entry count drops sharply against the last snapshot
};

// One list file uploaded inline: `name` is a file name (no folder), which also tells the headerless
// OFAC files apart (add.csv, alt.csv, ...) as a path does; `content` is the file's text.
struct ListFile {
  std::string name;
  std::string content;
};

struct ListUploadRequest {
  std::vector<ListFile> files;
  bool force = false;  // as ListImportRequest::force
};

// Parses the body as JSON within the limits (size, nesting depth, valid UTF-8). On failure `error`
// is filled and the result carries error.message.
Result<nlohmann::json> parse_json_body(std::string_view body, const Limits& limits, ApiError& error);

Result<ClassifyRequest> parse_classify_request(std::string_view body, const Limits& limits, ApiError& error);
Result<DecideRequest> parse_decide_request(std::string_view body, const Limits& limits, ApiError& error);
Result<ScreenRequest> parse_screen_request(std::string_view body, const Limits& limits, ApiError& error);
// Each record read and checked on its own (license::check_ownership_record); the checks across
// records (pairs given twice, shares above 100%) need the stored rows and are the handler's.
Result<OwnershipRequest> parse_ownership_request(std::string_view body, const Limits& limits, ApiError& error);
// The paths form of POST /v1/lists, {"paths": [...], "force": false}, from the parsed body or its text.
Result<ListImportRequest> parse_list_import(const nlohmann::json& body, ApiError& error);
Result<ListImportRequest> parse_list_import_request(std::string_view body, const Limits& limits, ApiError& error);
// The inline form of POST /v1/lists, {"files": [{"name", "content"}, ...], "force": false}, from the
// parsed body (the contents are moved out of it) or from the body text (max_list_upload_bytes applies).
// At most limits.max_batch files, names unique.
Result<ListUploadRequest> parse_list_upload(nlohmann::json body, const Limits& limits, ApiError& error);
Result<ListUploadRequest> parse_list_upload_request(std::string_view body, const Limits& limits, ApiError& error);

// A decision id from the path ("/v1/decisions/{id}"): a positive decimal integer.
Result<long long> parse_decision_id(std::string_view text);

}  // namespace chipgate::server
