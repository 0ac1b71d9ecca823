#include "server/log_line.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace chipgate::server {

void write_log_line(std::string_view text, int fd) {
  std::string line;
  line.reserve(text.size() + 1);
  line.append(text);
  line.push_back('\n');
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t w = ::write(fd, line.data() + done, line.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // nowhere to log: nothing else to do
    done += static_cast<std::size_t>(w);
  }
}

}  // namespace chipgate::server
