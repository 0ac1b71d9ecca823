#include "server/api.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

#include "core/json_util.h"
#include "io/catalog.h"
#include "io/orders.h"
#include "io/ownership.h"

namespace chipgate::server {

namespace {

constexpr std::size_t kMaxNameBytes = 1000;

std::string element_path(bool batch, std::size_t index, const std::string& field) {
  std::string path = batch ? "[" + std::to_string(index) + "]" : "";
  if (!field.empty()) path += (path.empty() ? "" : ".") + field;
  return path;
}

// Deepest nesting of arrays/objects, counted outside strings; stops counting past `limit`.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// nlohmann's parser callback: notes the first key given twice in one object (the parser itself
// keeps the last value, so `{"ship_to":"DE","ship_to":"CN"}` would silently mean CN) and its path
// in the notation of field errors ("[1].ship_to", "rates.fp8").
struct DuplicateKeys {
  struct Frame {
    bool array = false;
    std::size_t index = 0;  // arrays: the element being read
    std::string key;        // objects: the key being read
    std::set<std::string> keys;
  };
  std::vector<Frame> stack;
  std::string first;  // the path of the first duplicate, "" while there is none
  std::string key;

  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        stack.push_back({event == E::array_start, 0, {}, {}});
        break;
      case E::object_end:
      case E::array_end:
        if (!stack.empty()) stack.pop_back();
        next_element();
        break;
      case E::key:
        if (!stack.empty() && parsed.is_string()) {
          stack.back().key = parsed.get<std::string>();
          if (!stack.back().keys.insert(stack.back().key).second && first.empty()) {
            key = stack.back().key;
            first = path();
          }
        }
        break;
      case E::value:
        next_element();
        break;
    }
    return true;
  }
  void next_element() {
    if (!stack.empty() && stack.back().array) ++stack.back().index;
  }
  std::string path() const {
    std::string out;
    for (const auto& f : stack) {
      if (f.array) {
        out += "[" + std::to_string(f.index) + "]";
      } else {
        if (!out.empty()) out.push_back('.');
        out += f.key;
      }
    }
    return out;
  }
};

template <typename T>
Result<T> fail(ApiError& error, int status, std::string code, std::string message,
               std::vector<FieldError> fields = {}) {
  error.status = status;
  error.code = std::move(code);
  error.message = std::move(message);
  error.fields = std::move(fields);
  return Result<T>::error(error.message);
}

// The elements of a single-object or array body, with the batch limit applied.
Result<std::vector<nlohmann::json>> elements(std::string_view body, const Limits& limits, ApiError& error,
                                             bool& batch) {
  using R = std::vector<nlohmann::json>;
  auto j = parse_json_body(body, limits, error);
  if (!j) return j.status();
  batch = j->is_array();
  if (batch) {
    if (j->empty()) return fail<R>(error, 400, "invalid_request", "the batch is empty: give at least one element");
    if (j->size() > limits.max_batch)
      return fail<R>(
          error, 413, "batch_too_large",
          "the batch has " + std::to_string(j->size()) + " elements; the limit is " + std::to_string(limits.max_batch));
    R out;
    out.reserve(j->size());
    for (auto& e : j.value()) out.push_back(std::move(e));
    return out;
  }
  if (!j->is_object())
    return fail<R>(error, 400, "invalid_request",
                   std::string("the body must be a JSON object or an array of objects, not ") + j->type_name());
  return R{std::move(j).value()};
}

Status invalid(ApiError& error, std::vector<FieldError> fields, const char* what) {
  const std::string message =
      std::string("invalid ") + what + ": " + (fields.front().field.empty() ? "" : fields.front().field + ": ") +
      fields.front().problem +
      (fields.size() > 1 ? " (" + std::to_string(fields.size()) + " problems, see fields)" : "");
  return fail<bool>(error, 400, "invalid_request", message, std::move(fields)).status();
}

// The "force" flag of a list import (either form): accept a sharp drop in the lists.
void read_force(const nlohmann::json& value, bool& force, std::vector<FieldError>& problems) {
  if (value.is_boolean())
    force = value.get<bool>();
  else
    problems.push_back({"force", "must be true or false"});
}

}  // namespace

nlohmann::ordered_json ApiError::to_json() const {
  nlohmann::ordered_json f = nlohmann::ordered_json::array();
  for (const auto& e : fields) f.push_back({{"field", e.field}, {"problem", e.problem}});
  nlohmann::ordered_json inner = {{"status", status}, {"code", code}, {"message", message}};
  if (!fields.empty()) inner["fields"] = std::move(f);
  return {{"error", std::move(inner)}};
}

Result<nlohmann::json> parse_json_body(std::string_view body, const Limits& limits, ApiError& error) {
  using R = nlohmann::json;
  if (body.size() > limits.max_body_bytes)
    return fail<R>(error, 413, "body_too_large",
                   "the body has " + std::to_string(body.size()) + " bytes; the limit is " +
                       std::to_string(limits.max_body_bytes));
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return fail<R>(error, 400, "invalid_json", "the body is empty: a JSON object or array is required");
  if (!is_valid_utf8(body)) return fail<R>(error, 400, "invalid_json", "the body is not valid UTF-8");
  if (nesting_depth(body, limits.max_depth) > limits.max_depth)
    return fail<R>(error, 400, "invalid_json",
                   "the JSON is nested deeper than " + std::to_string(limits.max_depth) + " levels");
  try {
    DuplicateKeys duplicates;
    auto parsed = nlohmann::json::parse(body, std::ref(duplicates));
    if (!duplicates.first.empty()) {
      const std::string& at = duplicates.first;
      return fail<R>(error, 400, "invalid_json",
                     "duplicate key '" + duplicates.key + "'" + (at == duplicates.key ? "" : " at " + at) +
                         ": each key may appear once in an object (which value would count is ambiguous)",
                     {{at, "given more than once"}});
    }
    return parsed;
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number like 1e400
    std::string what = e.what();
    if (const auto close = what.find("] "); close != std::string::npos) what = what.substr(close + 2);
    // The parser quotes the bytes it last read, which may end inside a multi-byte character: keep
    // the message valid UTF-8 (it is sent back as JSON) by masking non-ASCII bytes in that case.
    if (!is_valid_utf8(what))
      for (char& ch : what)
        if (static_cast<unsigned char>(ch) >= 0x80) ch = '?';
    return fail<R>(error, 400, "invalid_json", "malformed JSON: " + what);
  }
}

Result<ClassifyRequest> parse_classify_request(std::string_view body, const Limits& limits, ApiError& error) {
  ClassifyRequest req;
  auto els = elements(body, limits, error, req.batch);
  if (!els) return els.status();
  std::vector<FieldError> problems;
  for (std::size_t i = 0; i < els->size(); ++i) {
    nlohmann::json& j = els.value()[i];
    if (!j.is_object()) {
      problems.push_back({element_path(req.batch, i, ""), "must be a JSON object (an item)"});
      continue;
    }
    nlohmann::json item_json = j;
    if (!item_json.contains("id")) item_json["id"] = req.batch ? "item-" + std::to_string(i + 1) : "item";
    std::string field;
    auto item = io::item_from_json(item_json, field);
    if (!item) {
      problems.push_back({element_path(req.batch, i, field), item.message()});
      continue;
    }
    req.items.push_back(std::move(item).value());
    req.raw.push_back(std::move(item_json));
  }
  if (!problems.empty()) return invalid(error, std::move(problems), "item");
  return req;
}

Result<DecideRequest> parse_decide_request(std::string_view body, const Limits& limits, ApiError& error) {
  DecideRequest req;
  auto els = elements(body, limits, error, req.batch);
  if (!els) return els.status();
  std::vector<FieldError> problems;
  for (std::size_t i = 0; i < els->size(); ++i) {
    nlohmann::json& j = els.value()[i];
    if (!j.is_object()) {
      problems.push_back({element_path(req.batch, i, ""), "must be a JSON object (an order line)"});
      continue;
    }
    // The order book reader's JSON Lines record is the one definition of an order line's fields.
    std::string field;
    auto line = io::order_line_from_json(j, field);
    if (!line) {
      problems.push_back({element_path(req.batch, i, field), line.message()});
      continue;
    }
    if (line->line.empty()) line->line = std::to_string(req.batch ? i + 1 : 1);
    req.lines.push_back(std::move(line).value());
    req.raw.push_back(std::move(j));
  }
  if (!problems.empty()) return invalid(error, std::move(problems), "order line");
  return req;
}

Result<OwnershipRequest> parse_ownership_request(std::string_view body, const Limits& limits, ApiError& error) {
  OwnershipRequest req;
  auto els = elements(body, limits, error, req.batch);
  if (!els) return els.status();
  std::vector<FieldError> problems;
  for (std::size_t i = 0; i < els->size(); ++i) {
    // The `--ownership` file's JSON Lines record is the one definition of the fields.
    std::string field;
    auto r = io::ownership_record_from_json(els.value()[i], field);
    if (!r) {
      problems.push_back({element_path(req.batch, i, field), r.message()});
      continue;
    }
    for (const auto& p : license::check_ownership_record(r.value(), i))
      problems.push_back({element_path(req.batch, i, p.field), p.problem});
    r->row = i + 1;
    req.records.push_back(std::move(r).value());
  }
  if (!problems.empty()) return invalid(error, std::move(problems), "ownership record");
  return req;
}

Result<ScreenRequest> parse_screen_request(std::string_view body, const Limits& limits, ApiError& error) {
  ScreenRequest req;
  auto els = elements(body, limits, error, req.batch);
  if (!els) return els.status();
  std::vector<FieldError> problems;
  for (std::size_t i = 0; i < els->size(); ++i) {
    nlohmann::json& j = els.value()[i];
    const std::size_t before = problems.size();
    auto problem = [&](const std::string& field, std::string text) {
      problems.push_back({element_path(req.batch, i, field), std::move(text)});
    };
    if (!j.is_object()) {
      problem("", "must be a JSON object {id, name, country, address}");
      continue;
    }
    ScreenParty p;
    for (const auto& [key, value] : j.items()) {
      std::string* target = key == "id"        ? &p.id
                            : key == "name"    ? &p.name
                            : key == "country" ? &p.country
                            : key == "address" ? &p.address
                                               : nullptr;
      if (!target) {
        problem(key, "unknown field (id, name, country, address)");
        continue;
      }
      if (value.is_null()) continue;
      if (key == "id" && value.is_number_integer()) {
        *target = value.dump();
        continue;
      }
      if (!value.is_string()) {
        problem(key, std::string("must be a string, not ") + value.type_name());
        continue;
      }
      *target = value.get<std::string>();
      if (target->size() > kMaxNameBytes) problem(key, "longer than " + std::to_string(kMaxNameBytes) + " bytes");
    }
    if (problems.size() == before && p.name.find_first_not_of(" \t\r\n") == std::string::npos)
      problem("name", "required (a non-empty string)");
    if (problems.size() != before) continue;
    if (p.id.empty()) p.id = std::to_string(i + 1);
    req.parties.push_back(std::move(p));
    req.raw.push_back(std::move(j));
  }
  if (!problems.empty()) return invalid(error, std::move(problems), "party");
  return req;
}

Result<ListImportRequest> parse_list_import(const nlohmann::json& body, ApiError& error) {
  using R = ListImportRequest;
  if (!body.is_object())
    return fail<R>(error, 400, "invalid_request", "the body must be a JSON object {\"paths\": [...]}");
  std::vector<FieldError> problems;
  R req;
  for (const auto& [key, value] : body.items()) {
    if (key == "force") {
      read_force(value, req.force, problems);
      continue;
    }
    if (key != "paths") {
      problems.push_back({key, "unknown field (paths, force)"});
      continue;
    }
    if (!value.is_array() || value.empty()) {
      problems.push_back({"paths", "must be a non-empty array of file or folder paths"});
      continue;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string() || value[i].get<std::string>().empty())
        problems.push_back({"paths[" + std::to_string(i) + "]", "must be a non-empty string"});
      else
        req.paths.push_back(value[i].get<std::string>());
    }
  }
  if (problems.empty() && req.paths.empty()) problems.push_back({"paths", "required"});
  if (!problems.empty()) return invalid(error, std::move(problems), "list import");
  return req;
}

Result<ListImportRequest> parse_list_import_request(std::string_view body, const Limits& limits, ApiError& error) {
  auto j = parse_json_body(body, limits, error);
  if (!j) return j.status();
  return parse_list_import(j.value(), error);
}

Result<ListUploadRequest> parse_list_upload(nlohmann::json body, const Limits& limits, ApiError& error) {
  using R = ListUploadRequest;
  if (!body.is_object())
    return fail<R>(error, 400, "invalid_request",
                   R"(the body must be a JSON object {"files": [{"name", "content"}, ...]})");
  std::vector<FieldError> problems;
  R req;
  for (auto& [key, value] : body.items()) {
    if (key == "force") {
      read_force(value, req.force, problems);
      continue;
    }
    if (key == "paths") {
      problems.push_back({"paths", "give either paths (files on the server) or files (their contents), not both"});
      continue;
    }
    if (key != "files") {
      problems.push_back({key, "unknown field (files, force)"});
      continue;
    }
    if (!value.is_array() || value.empty()) {
      problems.push_back({"files", R"(must be a non-empty array of {"name", "content"} objects)"});
      continue;
    }
    if (value.size() > limits.max_batch)
      return fail<R>(
          error, 413, "batch_too_large",
          "files: " + std::to_string(value.size()) + " files; the limit is " + std::to_string(limits.max_batch));
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string at = "files[" + std::to_string(i) + "]";
      auto& f = value[i];
      if (!f.is_object()) {
        problems.push_back({at, R"(must be an object {"name", "content"})"});
        continue;
      }
      ListFile file;
      bool ok = true;
      for (auto& [k, v] : f.items()) {
        if (k == "name") {
          std::string name = v.is_string() ? v.get<std::string>() : "";
          std::string problem;
          if (!v.is_string())
            problem = std::string("must be a string, not ") + v.type_name();
          else if (name.empty() || name == "." || name == "..")
            problem = "must be a file name such as entity_list.json";
          else if (name.size() > 255)
            problem = "longer than 255 bytes";
          else if (name.find_first_of("/\\") != std::string::npos)
            problem = "a file name, not a path (no / or \\)";
          else if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
            problem = "contains a control character";
          if (!problem.empty()) {
            problems.push_back({at + ".name", problem});
            ok = false;
          } else {
            file.name = std::move(name);
          }
        } else if (k == "content") {
          if (!v.is_string()) {
            problems.push_back(
                {at + ".content", std::string("must be a string (the file's text), not ") + v.type_name()});
            ok = false;
          } else {
            file.content = std::move(v.get_ref<std::string&>());
          }
        } else {
          problems.push_back({at + "." + k, "unknown field (name, content)"});
          ok = false;
        }
      }
      for (const char* required : {"name", "content"})
        if (!f.contains(required)) {
          problems.push_back({at + "." + required, "required"});
          ok = false;
        }
      if (!ok) continue;
      for (const auto& earlier : req.files)
        if (earlier.name == file.name) {
          problems.push_back({at + ".name", "'" + file.name + "' is given twice"});
          ok = false;
          break;
        }
      if (ok) req.files.push_back(std::move(file));
    }
  }
  if (problems.empty() && req.files.empty()) problems.push_back({"files", "required"});
  if (!problems.empty()) return invalid(error, std::move(problems), "list upload");
  return req;
}

Result<ListUploadRequest> parse_list_upload_request(std::string_view body, const Limits& limits, ApiError& error) {
  Limits upload = limits;
  upload.max_body_bytes = std::max(limits.max_body_bytes, limits.max_list_upload_bytes);
  auto j = parse_json_body(body, upload, error);
  if (!j) return j.status();
  return parse_list_upload(std::move(j).value(), limits, error);
}

Result<long long> parse_decision_id(std::string_view text) {
  long long id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || id <= 0)
    return Result<long long>::error("decision id must be a positive integer");
  return id;
}

}  // namespace chipgate::server
