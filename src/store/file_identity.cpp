// See file_identity.h.
#include "store/file_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chipgate::store {

DatabaseFiles DatabaseFiles::capture(const std::string& path) {
  DatabaseFiles f;
  f.path_ = path;
  const std::string names[3] = {path, path + "-wal", path + "-shm"};
  for (int i = 0; i < 3; ++i) {
    f.files_[i].path = names[i];
    struct stat st {};
    if (::stat(names[i].c_str(), &st) == 0) f.files_[i].identity = Identity{st.st_dev, st.st_ino};
  }
  return f;
}

std::string DatabaseFiles::changed() const {
  for (const File& file : files_) {
    if (!file.identity) continue;
    struct stat st {};
    if (::stat(file.path.c_str(), &st) != 0)
      return file.path +
             (errno == ENOENT ? " was removed" : " cannot be examined: " + std::string(std::strerror(errno)));
    if (st.st_dev != file.identity->device || st.st_ino != file.identity->inode)
      return file.path + " was replaced by another file";
  }
  return "";
}

Status DatabaseFiles::writable() const {
  // access(2), never open(2): closing any descriptor of the database file would drop the POSIX locks
  // SQLite holds on it for this whole process (its shared lock says "still in use" to other
  // processes, which would otherwise checkpoint and delete the write-ahead log under us).
  for (const File& file : files_) {
    if (!file.identity) continue;
    if (::faccessat(AT_FDCWD, file.path.c_str(), W_OK, AT_EACCESS) != 0)
      return Status::error(file.path + " cannot be opened for writing: " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace chipgate::store
