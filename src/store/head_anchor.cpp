// Signed anchors of the audit chain's head (head_anchor.h): Ed25519 through OpenSSL's EVP API.
#include "store/head_anchor.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/json_writer.h"
#include "core/sha256.h"

namespace chipgate::store {

namespace {

constexpr const char* kFormat = "chipgate-audit-head-v1";
constexpr std::size_t kRawKeyBytes = 32, kSignatureBytes = 64;

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

Result<std::string> unbase64(const std::string& text, std::size_t expected, const char* field) {
  using R = Result<std::string>;
  if (text.size() != 4 * ((expected + 2) / 3))
    return R::error(std::string(field) + ": not " + std::to_string(expected) + " bytes in base64");
  std::string out(text.size(), '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (len < 0) return R::error(std::string(field) + ": not base64");
  out.resize(expected);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

std::string raw_public_key(EVP_PKEY* key) {
  unsigned char raw[kRawKeyBytes];
  std::size_t n = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &n) != 1 || n != kRawKeyBytes) return "";
  return std::string(reinterpret_cast<const char*>(raw), n);
}

std::string key_id_of(const std::string& raw) { return sha256_hex(raw).substr(0, 16); }

std::string now_utc_seconds() {
  const std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A PEM key file: a public key, or a private key (whose public half is then used).
Result<PKey> read_key_file(const std::string& path, bool want_private) {
  using R = Result<PKey>;
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return R::error(path + ": " + std::strerror(errno));
  PKey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key && !want_private) {
    std::rewind(f);
    key.reset(PEM_read_PUBKEY(f, nullptr, nullptr, nullptr));
  }
  std::fclose(f);
  if (!key)
    return R::error(path + ": not " + (want_private ? "a PEM private key" : "a PEM public or private key") +
                    " (create one with chipgate audit keygen)");
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) return R::error(path + ": not an Ed25519 key");
  return R(std::move(key));
}

Status write_new_file(const std::string& path, mode_t mode, const std::function<bool(FILE*)>& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return Status::error(
        path + ": " +
        (errno == EEXIST ? std::string("already exists; not overwritten") : std::string(std::strerror(errno))));
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    return Status::error(path + ": " + std::strerror(errno));
  }
  const bool ok = write(f) && std::fflush(f) == 0 && ::fsync(fd) == 0;
  if (std::fclose(f) != 0 || !ok) return Status::error(path + ": could not be written");
  return Status::ok();
}

}  // namespace

// ---- the anchor ------------------------------------------------------------------------------

std::string SignedHead::signed_text() const {
  std::string out = std::string(kFormat) + "\n";
  JsonWriter w(out);
  w.begin_array().integer(id).string(hash).string(first_hash).string(time).end_array();
  return out;
}

nlohmann::ordered_json SignedHead::to_json() const {
  return {{"format", kFormat},
          {"id", id},
          {"hash", hash},
          {"first_hash", first_hash},
          {"time", time},
          {"key_id", key_id},
          {"public_key", public_key},
          {"signature", signature}};
}

Result<SignedHead> SignedHead::from_json(const nlohmann::json& j) {
  using R = Result<SignedHead>;
  if (!j.is_object()) return R::error("not a JSON object");
  if (j.value("format", "") != kFormat) return R::error(std::string("format: expected \"") + kFormat + "\"");
  SignedHead h;
  if (!j.contains("id") || !j["id"].is_number_integer() || j["id"].get<std::int64_t>() < 0)
    return R::error("id: expected a record id (an integer >= 0)");
  h.id = j["id"].get<std::int64_t>();
  for (auto [field, target] : {std::pair<const char*, std::string*>{"hash", &h.hash},
                               {"first_hash", &h.first_hash},
                               {"time", &h.time},
                               {"key_id", &h.key_id},
                               {"public_key", &h.public_key},
                               {"signature", &h.signature}}) {
    if (!j.contains(field) || !j[field].is_string()) return R::error(std::string(field) + ": expected a string");
    *target = j[field].get<std::string>();
  }
  return h;
}

// ---- keys and signing ------------------------------------------------------------------------

struct HeadSigner::Key {
  PKey pkey{nullptr, &EVP_PKEY_free};
};

HeadSigner::~HeadSigner() = default;

Result<std::string> generate_head_key(const std::string& path) {
  using R = Result<std::string>;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    return R::error("OpenSSL could not generate an Ed25519 key");
  PKey key(raw, &EVP_PKEY_free);
  const std::string pub_path = path + ".pub";
  if (std::filesystem::exists(pub_path)) return R::error(pub_path + ": already exists; not overwritten");
  // The private key is readable by its owner only; it never enters the database.
  if (Status s = write_new_file(
          path, 0600,
          [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1; });
      !s)
    return R(s);
  if (Status s = write_new_file(pub_path, 0644, [&](FILE* f) { return PEM_write_PUBKEY(f, key.get()) == 1; }); !s)
    return R(s);
  return key_id_of(raw_public_key(key.get()));
}

Result<std::unique_ptr<HeadSigner>> HeadSigner::load(const std::string& private_key_path) {
  using R = Result<std::unique_ptr<HeadSigner>>;
  auto key = read_key_file(private_key_path, true);
  if (!key) return R(key.status());
  std::unique_ptr<HeadSigner> s(new HeadSigner());
  const std::string raw = raw_public_key(key.value().get());
  if (raw.empty()) return R::error(private_key_path + ": its public key cannot be read");
  s->key_id_ = key_id_of(raw);
  s->public_key_ = base64(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  s->key_ = std::make_unique<Key>();
  s->key_->pkey = std::move(key).value();
  return R(std::move(s));
}

Result<SignedHead> HeadSigner::sign(const ChainHead& head) const {
  SignedHead h;
  h.id = head.id;
  h.hash = head.hash;
  h.first_hash = head.first_hash;
  h.time = now_utc_seconds();
  h.key_id = key_id_;
  h.public_key = public_key_;
  const std::string text = h.signed_text();
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char sig[kSignatureBytes];
  std::size_t n = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &n, reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1)
    return Result<SignedHead>::error("OpenSSL could not sign the chain head");
  h.signature = base64(sig, n);
  return h;
}

// ---- checking ----------------------------------------------------------------------------------

Result<SignedHead> read_head_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result<SignedHead>::error(path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > 64 * 1024) return Result<SignedHead>::error(path + ": larger than an anchor file can be");
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return Result<SignedHead>::error(path + ": not JSON");
  auto h = SignedHead::from_json(j);
  if (!h) return Result<SignedHead>::error(path + ": " + h.message());
  return h;
}

Status check_head_signature(const SignedHead& head, const std::string& trusted_key_path) {
  auto raw = unbase64(head.public_key, kRawKeyBytes, "public_key");
  if (!raw) return raw.status();
  auto sig = unbase64(head.signature, kSignatureBytes, "signature");
  if (!sig) return sig.status();
  if (key_id_of(raw.value()) != head.key_id) return Status::error("key_id does not belong to the anchor's public key");
  if (!trusted_key_path.empty()) {
    auto trusted = read_key_file(trusted_key_path, false);
    if (!trusted) return trusted.status();
    const std::string want = raw_public_key(trusted.value().get());
    if (want != raw.value())
      return Status::error("signed by key " + head.key_id + ", not by the trusted key " + key_id_of(want) + " (" +
                           trusted_key_path + ")");
  }
  PKey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw->data()),
                                       raw->size()),
           &EVP_PKEY_free);
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const std::string text = head.signed_text();
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1)
    return Status::error("the signature does not match the anchor's content: the anchor was altered or forged");
  return Status::ok();
}

Status check_head_extends(Store& store, const VerifyReport& report, const SignedHead& head) {
  const std::string anchor = "the anchor of " + head.time + " (record " + std::to_string(head.id) + ")";
  if (head.id == 0) return Status::ok();  // an empty chain: anything extends it
  if (report.first_bad && *report.first_bad <= head.id)
    return Status::error("the chain is broken at record " + std::to_string(*report.first_bad) + ", at or before " +
                         anchor);
  auto first = store.audit_records(1, 1);
  if (!first) return first.status();
  if (first->empty() || first->front().id != 1 || first->front().hash != head.first_hash)
    return Status::error("record 1 is not the first record of the chain " + anchor +
                         " anchors: the chain was replaced or rewritten from its start");
  auto rec = store.audit_records(head.id, 1);
  if (!rec) return rec.status();
  if (rec->empty() || rec->front().id != head.id)
    return Status::error("record " + std::to_string(head.id) + " no longer exists, but " + anchor +
                         " says it did: the chain was cut after record " + std::to_string(report.records) +
                         " (its tail removed and the head rewritten)");
  if (rec->front().hash != head.hash)
    return Status::error("record " + std::to_string(head.id) + " differs from " + anchor +
                         ": the chain was rewritten at or before that record");
  return Status::ok();
}

Status write_file_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Status::error(path + ": cannot create a file beside it: " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0644) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  const int saved = errno;
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    return Status::error(path + ": could not be written: " + why);
  }
  return Status::ok();
}

}  // namespace chipgate::store
