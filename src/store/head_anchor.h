// Signed anchors of the audit chain's head. A hash chain shows any edit of a record, but not the
// removal of its last records together with a rewrite of the head row: the shorter chain is
// consistent. An anchor kept somewhere else (a file on another machine, a URL the server posts it
// to) records that record N existed with hash H at time T; a later `chipgate audit verify --head
// FILE` then proves the chain still extends it, or names what was cut or rewritten.
//
// Anchor file (JSON), signed with Ed25519 (OpenSSL's EVP API) by a key the administrator creates
// (`chipgate audit keygen`), kept in a file of its own and never in the database:
//   {"format": "chipgate-audit-head-v1", "id": N, "hash": H, "first_hash": hash of record 1,
//    "time": "YYYY-MM-DDTHH:MM:SSZ", "key_id": 16 hex, "public_key": base64 (32 bytes),
//    "signature": base64 (64 bytes)}
// The signature covers the UTF-8 bytes of "chipgate-audit-head-v1\n" + the compact JSON array
// [id, hash, first_hash, time]; key_id is the first 16 hex digits of SHA-256(raw public key).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace chipgate::store {

struct SignedHead {
  std::int64_t id = 0;     // the last record's id (0: an empty chain)
  std::string hash;        // its hash
  std::string first_hash;  // record 1's hash ("" for an empty chain): which chain this is
  std::string time;        // when it was taken (UTC)
  std::string key_id;
  std::string public_key;  // base64 of the raw Ed25519 public key
  std::string signature;   // base64 of the signature of signed_text()

  std::string signed_text() const;
  nlohmann::ordered_json to_json() const;
  static Result<SignedHead> from_json(const nlohmann::json& j);
};

// Writes a new Ed25519 private key to `path` (PEM, PKCS#8, mode 0600) and its public key to
// `path`.pub (PEM). Refuses to overwrite either. Returns the key id.
Result<std::string> generate_head_key(const std::string& path);

// Signs heads with a private key file.
class HeadSigner {
 public:
  static Result<std::unique_ptr<HeadSigner>> load(const std::string& private_key_path);
  ~HeadSigner();
  HeadSigner(const HeadSigner&) = delete;
  HeadSigner& operator=(const HeadSigner&) = delete;

  // The anchor of `head`, taken now.
  Result<SignedHead> sign(const ChainHead& head) const;
  const std::string& key_id() const { return key_id_; }

 private:
  HeadSigner() = default;
  struct Key;
  std::unique_ptr<Key> key_;
  std::string key_id_;
  std::string public_key_;
};

// Reads an anchor file.
Result<SignedHead> read_head_file(const std::string& path);

// Checks the anchor's signature. With `trusted_key_path` (a public key file, or the private key
// file), the anchor must also be signed by that key; without it, by the key the anchor names.
Status check_head_signature(const SignedHead& head, const std::string& trusted_key_path = "");

// Whether the store's chain (just verified: `report`) extends the anchored head: record 1 is the
// anchored chain's first record, and record `head.id` still exists with the anchored hash. The error
// says what was done: the chain truncated, rewritten, or replaced.
Status check_head_extends(Store& store, const VerifyReport& report, const SignedHead& head);

// Writes `text` to `path` so that a reader sees the old or the new content, never a part: a
// temporary file in the same directory, fsync, rename over the path.
Status write_file_atomically(const std::string& path, const std::string& text);

}  // namespace chipgate::store
