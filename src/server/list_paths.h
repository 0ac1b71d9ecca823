// The paths form of POST /v1/lists ({"paths": [...]}): list files and folders on the server's disk,
// read only inside the directories the operator allowed (`chipgate serve --lists-dir DIR`). An admin
// key must not make the server read any other file: a path is checked lexically first (so nothing
// outside is even looked at, and the answer does not reveal whether it exists), then resolved
// (symbolic links included) and checked again, as is every file of a folder. Only regular files are
// read (no FIFO, device or socket: /dev/zero never fills memory), together at most a size limit,
// and never an error quoting a file outside the directories, since none is opened.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"
#include "server/api.h"

namespace chipgate::server {

// The allowed directories in two forms: as configured (absolute, normalised without touching the
// disk), which a path is first compared with, and canonical (symbolic links resolved), which the
// resolved path is compared with. Both are needed when a directory is reached through a link.
struct ListDirs {
  std::vector<std::string> lexical;
  std::vector<std::string> canonical;
  bool empty() const { return canonical.empty(); }
};

// Resolves the configured directories; an error names the one that is missing or not a directory.
Result<ListDirs> resolve_list_dirs(const std::vector<std::string>& dirs);

struct ListFileText {
  std::string path;  // as the loaders name it: the path given, or the given folder's path + the file name
  std::string text;
};

// The list files named by `paths` (a folder: its list files, as screen::list_files chooses them),
// each inside one of `dirs`, at most `max_total_bytes`
// together. On failure `error` names the field ("paths" or "paths[i]"): 400 paths_not_allowed
// (no directories configured, or outside them), 400 invalid_request (missing, not a regular file),
// 413 list_too_large.
Result<std::vector<ListFileText>> read_confined_lists(const std::vector<std::string>& paths, const ListDirs& dirs,
                                                      std::size_t max_total_bytes, ApiError& error);

}  // namespace chipgate::server
