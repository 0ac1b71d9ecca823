// SHA-256 (OpenSSL's libcrypto), used to give rule sets, scenarios and list snapshots a content id.
#pragma once

#include <string>
#include <string_view>

namespace chipgate {

// Lower-case hex digest of the bytes.
std::string sha256_hex(std::string_view bytes);

}  // namespace chipgate
