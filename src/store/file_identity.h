// Internal to src/store: the files of an SQLite database (PATH, PATH-wal, PATH-shm) as they were
// when the store opened them, so that the store notices when its database is no longer the file at
// its path. A removed or replaced database file is not an error SQLite reports: its open handles
// keep writing into the unlinked inode, every commit "succeeds", and all of it vanishes when the
// process ends. The store checks the identity (device and inode) after each commit, before it
// acknowledges anything, and refuses everything from then on.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/result.h"

namespace chipgate::store {

class DatabaseFiles {
 public:
  // The files as they are now; a -wal or -shm file that does not exist (yet) is not checked.
  static DatabaseFiles capture(const std::string& path);

  // "" when every file seen at capture() is still the same file at its path; else what changed,
  // e.g. "chipgate.db-wal was removed".
  std::string changed() const;
  // Whether the database and its log could be opened for writing now (permissions, a read-only
  // file system): what a new connection would need. Neither opens nor writes them.
  Status writable() const;

  const std::string& path() const { return path_; }

 private:
  struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
  };
  struct File {
    std::string path;
    std::optional<Identity> identity;  // nullopt: did not exist at capture()
  };
  std::string path_;
  File files_[3];
};

}  // namespace chipgate::store
