#include "core/sha256.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace chipgate {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  // Fetched once: EVP_sha256() makes EVP_Digest look the algorithm up in the provider store (under
  // a lock) on every call, which showed up when every audited write hashes its record.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, kSha256 ? kSha256 : EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(len * 2);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

}  // namespace chipgate
