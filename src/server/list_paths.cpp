#include "server/list_paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "screen/lists.h"

namespace chipgate::server {

namespace fs = std::filesystem;

namespace {

template <typename T>
Result<T> fail(ApiError& error, int status, const std::string& code, const std::string& field,
               const std::string& problem) {
  error = {status, code, field + ": " + problem, {{field, problem}}};
  return Result<T>::error(error.message);
}

bool inside(const std::string& path, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    if (path == d) return true;
    const std::string prefix = d.back() == '/' ? d : d + "/";
    if (path.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

// realpath(3): the canonical path, every symbolic link resolved; "" when it does not resolve.
std::string resolved(const std::string& path, int& err) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) {
    err = errno;
    return "";
  }
  return buf;
}

// Reads one list file: inside `dirs` once resolved, a regular file, within the remaining budget.
// O_NOFOLLOW and O_NONBLOCK: a link swapped in after the check is not followed, and opening a FIFO
// does not wait for a writer (it is then refused as not a regular file).
Result<std::string> read_one(const std::string& name, const ListDirs& dirs, std::size_t& budget, std::size_t max_total,
                             const std::string& field, ApiError& error) {
  int err = 0;
  const std::string real = resolved(name, err);
  if (real.empty()) return fail<std::string>(error, 400, "invalid_request", field, name + ": " + std::strerror(err));
  if (!inside(real, dirs.canonical))
    return fail<std::string>(error, 400, "paths_not_allowed", field,
                             name + ": leads (through a symbolic link) outside the list directories of this server");
  const int fd = ::open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail<std::string>(error, 400, "invalid_request", field, name + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return fail<std::string>(error, 400, "invalid_request", field,
                             name + ": not a regular file (a folder, FIFO, device or socket is not read)");
  const auto too_large = [&] {
    return fail<std::string>(
        error, 413, "list_too_large", field,
        name + ": the files named come to more than " + std::to_string(max_total) + " bytes (--max-list-upload-bytes)");
  };
  if (static_cast<std::uint64_t>(st.st_size) > budget) return too_large();
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail<std::string>(error, 400, "invalid_request", field, name + ": " + std::strerror(errno));
    if (n == 0) break;  // shrank since fstat
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  char extra = 0;
  if (::read(fd, &extra, 1) > 0) return too_large();  // grew since fstat: not read past the budget
  budget -= got;
  return text;
}

}  // namespace

Result<ListDirs> resolve_list_dirs(const std::vector<std::string>& dirs) {
  ListDirs out;
  for (const auto& d : dirs) {
    int err = 0;
    const std::string real = resolved(d, err);
    std::error_code ec;
    if (real.empty()) return Result<ListDirs>::error(d + ": " + std::strerror(err));
    if (!fs::is_directory(real, ec)) return Result<ListDirs>::error(d + ": not a folder");
    out.canonical.push_back(real);
    out.lexical.push_back(fs::absolute(d, ec).lexically_normal().string());
    while (out.lexical.back().size() > 1 && out.lexical.back().back() == '/') out.lexical.back().pop_back();
  }
  return out;
}

Result<std::vector<ListFileText>> read_confined_lists(const std::vector<std::string>& paths, const ListDirs& dirs,
                                                      std::size_t max_total_bytes, ApiError& error) {
  using R = std::vector<ListFileText>;
  if (dirs.empty())
    return fail<R>(error, 400, "paths_not_allowed", "paths",
                   "this server reads no list files from its disk (it was started without --lists-dir); send the "
                   "files' contents instead: {\"files\": [{\"name\", \"content\"}]}");
  R out;
  std::size_t budget = max_total_bytes;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string field = "paths[" + std::to_string(i) + "]";
    const std::string& p = paths[i];
    std::error_code ec;
    const fs::path lexical = fs::absolute(p, ec).lexically_normal();
    if (ec || !(inside(lexical.string(), dirs.lexical) || inside(lexical.string(), dirs.canonical)))
      return fail<R>(error, 400, "paths_not_allowed", field,
                     p + ": not under a list directory of this server (--lists-dir)");
    int err = 0;
    const std::string real = resolved(p, err);
    if (real.empty())
      return fail<R>(error, 400, "invalid_request", field,
                     p + (err == ENOENT ? ": no such file or folder" : ": " + std::string(std::strerror(err))));
    if (!inside(real, dirs.canonical))
      return fail<R>(error, 400, "paths_not_allowed", field,
                     p + ": leads (through a symbolic link) outside the list directories of this server");
    std::vector<std::string> files = {p};
    if (fs::is_directory(real, ec)) {
      auto listed = screen::list_files({p});
      if (!listed) return fail<R>(error, 400, "invalid_request", field, listed.message());
      files = std::move(listed).value();
    }
    for (const auto& f : files) {
      auto text = read_one(f, dirs, budget, max_total_bytes, field, error);
      if (!text) return text.status();
      out.push_back({f, std::move(text).value()});
    }
  }
  return out;
}

}  // namespace chipgate::server
