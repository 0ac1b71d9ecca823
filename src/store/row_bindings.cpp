// Row hashes, digests and the `bound` field of audit records (see row_bindings.h).
#include "store/row_bindings.h"

#include <nlohmann/json.hpp>

#include "core/json_util.h"
#include "core/json_writer.h"
#include "core/sha256.h"

namespace chipgate::store::bindings {

namespace {

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

}  // namespace

std::string row_hash(std::string_view table, const std::vector<Value>& values) {
  std::string text = "chipgate-row-v1\n[";
  append_json_string(text, table);
  for (const Value& v : values) {
    text.push_back(',');
    if (!v) {
      text += "null";
    } else if (is_valid_utf8(*v)) {
      append_json_string_utf8(text, *v);
    } else {
      // Never written by the store (it checks every text); an edit may put such bytes in. Hashed as
      // {"bytes": hex} so that no two byte strings share a form (replacement characters would).
      text += "{\"bytes\":\"" + to_hex(*v) + "\"}";
    }
  }
  text.push_back(']');
  return sha256_hex(text);
}

Digest::Digest() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
  static constexpr std::string_view kPrefix = "chipgate-rows-v1\n";
  EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx_.get(), kPrefix.data(), kPrefix.size());
}

void Digest::add(const std::string& hash) {
  EVP_DigestUpdate(ctx_.get(), hash.data(), hash.size());
  EVP_DigestUpdate(ctx_.get(), "\n", 1);
  ++rows_;
}

std::string Digest::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &n);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), n));
}

std::string bound_text(const std::vector<Binding>& bindings) {
  std::string out = "[";
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    append_json_string(out, bindings[i].table);
    out.push_back(',');
    append_json_string(out, bindings[i].key);
    out.push_back(',');
    append_json_string(out, bindings[i].hash);
    out.push_back(']');
  }
  out.push_back(']');
  return out;
}

Result<std::vector<Binding>> parse_bound(std::string_view text) {
  using R = Result<std::vector<Binding>>;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return R::error("its row bindings are not a JSON array");
  std::vector<Binding> out;
  for (const auto& e : j) {
    if (!e.is_array() || e.size() != 3 || !e[0].is_string() || !e[1].is_string() || !e[2].is_string())
      return R::error("a row binding is not [table, key, hash]");
    out.push_back({e[0].get<std::string>(), e[1].get<std::string>(), e[2].get<std::string>()});
  }
  return out;
}

// ---- the rows as they are now -------------------------------------------------------------

namespace {

constexpr std::int64_t kPage = 5000;

std::string first_column(const Table& t) {
  const std::string cols = t.columns;
  return cols.substr(0, cols.find(','));
}

}  // namespace

Result<std::vector<Binding>> table_rows(db::Connection& c, const Table& table) {
  using R = Result<std::vector<Binding>>;
  auto rows =
      c.query(std::string("SELECT ") + table.columns + " FROM " + table.name + " ORDER BY " + first_column(table));
  if (!rows) return R(rows.status());
  std::vector<Binding> out;
  out.reserve(rows->size());
  for (const db::Row& row : rows.value()) out.push_back({table.name, row[0].value_or(""), row_hash(table.name, row)});
  return out;
}

Result<std::map<std::string, RowsDigest>> party_digests(db::Connection& c) {
  using R = Result<std::map<std::string, RowsDigest>>;
  std::map<std::string, RowsDigest> out;
  std::string snapshot;
  std::int64_t seq = -1;
  std::optional<Digest> digest;
  std::string current;
  auto finish = [&] {
    if (!digest) return;
    const std::int64_t n = digest->rows();
    out[current] = RowsDigest{digest->hex(), n};
    digest.reset();
  };
  for (bool first = true;; first = false) {
    // Keyset pagination over the primary key (snapshot_id, seq): a page at a time, for lists of any size.
    auto page =
        first ? c.query(std::string("SELECT ") + kParties.columns + " FROM parties ORDER BY snapshot_id, seq LIMIT $1",
                        {kPage})
              : c.query(std::string("SELECT ") + kParties.columns +
                            " FROM parties WHERE snapshot_id > $1 OR (snapshot_id = $1 AND seq > $2) "
                            "ORDER BY snapshot_id, seq LIMIT $3",
                        {snapshot, seq, kPage});
    if (!page) return R(page.status());
    for (const db::Row& row : page.value()) {
      snapshot = row[0].value_or("");
      seq = std::strtoll(row[1].value_or("0").c_str(), nullptr, 10);
      if (!digest || snapshot != current) {
        finish();
        current = snapshot;
        digest.emplace();
      }
      digest->add(row_hash(kParties.name, row));
    }
    if (static_cast<std::int64_t>(page->size()) < kPage) break;
  }
  finish();
  return out;
}

Result<RowsDigest> decisions_digest(db::Connection& c, std::int64_t through) {
  Digest digest;
  std::int64_t after = 0;
  for (;;) {
    auto page = c.query(
        std::string("SELECT ") + kDecisions.columns + " FROM decisions WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3",
        {after, through, kPage});
    if (!page) return Result<RowsDigest>(page.status());
    for (const db::Row& row : page.value()) {
      after = std::strtoll(row[0].value_or("0").c_str(), nullptr, 10);
      digest.add(row_hash(kDecisions.name, row));
    }
    if (static_cast<std::int64_t>(page->size()) < kPage) break;
  }
  const std::int64_t n = digest.rows();
  return RowsDigest{digest.hex(), n};
}

std::string empty_digest() { return Digest().hex(); }

}  // namespace chipgate::store::bindings
