#include "core/bounded_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chipgate {

namespace {

// Closes the descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string too_large(const std::string& path, const InputFileKind& kind) {
  return path + ": larger than the " + std::string(kind.name) + " limit of " + describe_byte_limit(kind.max_bytes);
}

}  // namespace

std::string describe_byte_limit(std::size_t bytes) {
  const std::size_t mib = input_limits::kMiB;
  std::string text = std::to_string(bytes) + " bytes";
  if (bytes >= mib && bytes % mib == 0) text = std::to_string(bytes / mib) + " MiB (" + text + ")";
  return text;
}

Result<std::string> read_bounded_file(const std::string& path, const InputFileKind& kind, bool regular_file_only) {
  using R = Result<std::string>;
  // O_NONBLOCK when only regular files are wanted: opening a FIFO must not wait for a writer that
  // will never come before we can refuse it. (It has no effect on regular files.)
  const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular_file_only ? O_NONBLOCK : 0);
  Fd fd(::open(path.c_str(), flags));
  if (fd.get() < 0) return R::error(path + ": cannot open file (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return R::error(path + ": cannot open file (" + std::strerror(errno) + ")");
  if (S_ISDIR(st.st_mode)) return R::error(path + ": is a directory, not a file");
  const bool regular = S_ISREG(st.st_mode);
  if (regular_file_only && !regular) return R::error(path + ": not a regular file");
  if (regular && static_cast<std::size_t>(st.st_size) > kind.max_bytes) return R::error(too_large(path, kind));

  std::string out;
  if (regular) out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return R::error(path + ": read error (" + std::strerror(errno) + ")");
    }
    if (n == 0) break;
    // Checked before appending, so that an endless device never costs more than the limit.
    if (static_cast<std::size_t>(n) > kind.max_bytes - out.size()) return R::error(too_large(path, kind));
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

bool LineSplitter::next(std::string_view& line, std::size_t& line_no, bool& too_long) {
  if (pos_ >= text_.size()) return false;
  const std::size_t nl = text_.find('\n', pos_);
  const std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
  line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
  line_no = ++line_no_;
  too_long = line.size() > max_line_bytes_;
  if (too_long) line = {};
  return true;
}

}  // namespace chipgate
