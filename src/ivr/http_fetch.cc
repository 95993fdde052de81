#include "ivr/http_fetch.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>

// A deliberately small HTTP/1.1 client for the IVR's data dips: one request per connection
// (Connection: close), so the answer ends where the socket closes or Content-Length says.

namespace kefu::ivr {

namespace {

using Clock = std::chrono::steady_clock;

Error unavailable(std::string message) { return {ErrorCode::Unavailable, std::move(message), {}}; }

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

Result<Url> parseUrl(std::string_view url) {
  constexpr std::string_view Scheme = "http://";
  if (!url.starts_with(Scheme)) {
    return Error::invalid("url", "only http:// URLs are supported: " + std::string(url));
  }
  url.remove_prefix(Scheme.size());
  Url out;
  auto slash = url.find('/');
  auto authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    out.target = std::string(url.substr(slash));
  }
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  if (authority.size() >= 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  out.host = std::string(authority);
  if (out.host.empty() || out.port.empty()) {
    return Error::invalid("url", "no host in " + std::string(url));
  }
  return out;
}

/** A socket closed when it goes out of scope. */
struct Socket {
  int fd = -1;
  ~Socket() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

/** @return the milliseconds left before `deadline` (0 when passed). */
int leftMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

/** Waits for `events` on `fd` until `deadline`; @return false on timeout or error. */
bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, leftMs(deadline));
    if (ready > 0) {
      return true;
    }
    if (ready == 0 || errno != EINTR) {
      return false;
    }
  }
}

Result<void> connectTo(Socket& socket, const Url& url, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  // getaddrinfo has no timeout; the dips name hosts from the site's own network (or addresses).
  if (int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found); rc != 0) {
    return unavailable("cannot resolve " + url.host + ": " + ::gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (auto* a = found; a != nullptr; a = a->ai_next) {
    socket.fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (socket.fd < 0) {
      continue;
    }
    if (::connect(socket.fd, a->ai_addr, a->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      return {};
    }
    if (errno == EINPROGRESS && waitFor(socket.fd, POLLOUT, deadline)) {
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error == 0) {
        ::freeaddrinfo(found);
        return {};
      }
      last_error = std::strerror(error);
    } else {
      last_error = leftMs(deadline) == 0 ? "timed out" : std::strerror(errno);
    }
    ::close(socket.fd);
    socket.fd = -1;
  }
  ::freeaddrinfo(found);
  return unavailable("cannot connect to " + url.host + ":" + url.port + ": " + last_error);
}

/** @return the value of header `name` (case-insensitive) in `head`, or empty. */
std::string_view header(std::string_view head, std::string_view name) {
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    auto end = head.find("\r\n", at + 2);
    auto line = head.substr(at + 2, end == std::string_view::npos ? end : end - at - 2);
    auto colon = line.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      return value;
    }
    at = end;
  }
  return {};
}

/** @return a chunked body decoded, or nullopt when it is malformed or incomplete. */
std::optional<std::string> unchunk(std::string_view data) {
  std::string out;
  for (;;) {
    auto line_end = data.find("\r\n");
    if (line_end == std::string_view::npos) {
      return std::nullopt;
    }
    std::size_t size = 0;
    auto [ptr, ec] = std::from_chars(data.data(), data.data() + line_end, size, 16);
    if (ec != std::errc() || ptr == data.data()) {
      return std::nullopt;
    }
    data.remove_prefix(line_end + 2);
    if (size == 0) {
      return out;
    }
    if (data.size() < size + 2) {
      return std::nullopt;
    }
    out.append(data.substr(0, size));
    data.remove_prefix(size + 2);
  }
}

}  // namespace

Result<HttpResponse> httpFetch(const std::string& method, const std::string& url,
                               const std::string& body, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto parsed = parseUrl(url);
  if (!parsed) {
    return parsed.error();
  }
  Socket socket;
  KEFU_TRY(connectTo(socket, *parsed, deadline));

  std::string request = method + " " + parsed->target + " HTTP/1.1\r\nHost: " + parsed->host +
                        "\r\nUser-Agent: Kefu-IVR\r\nAccept: application/json\r\n"
                        "Connection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!waitFor(socket.fd, POLLOUT, deadline)) {
      return unavailable("timed out sending to " + parsed->host);
    }
    auto n = ::send(socket.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return unavailable(std::string("send failed: ") + std::strerror(errno));
    }
    sent += n > 0 ? static_cast<std::size_t>(n) : 0;
  }

  // Read until the peer closes (Connection: close) or the Content-Length is complete.
  constexpr std::size_t MaxAnswer = 1 << 20;  // a data dip answers a few fields, not megabytes
  std::string answer;
  std::size_t head_end = std::string::npos;
  std::optional<std::size_t> length;
  for (;;) {
    if (head_end != std::string::npos && length && answer.size() >= head_end + 4 + *length) {
      break;
    }
    if (!waitFor(socket.fd, POLLIN, deadline)) {
      return unavailable("timed out waiting for " + parsed->host);
    }
    char buffer[4096];
    auto n = ::recv(socket.fd, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return unavailable(std::string("receive failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    answer.append(buffer, static_cast<std::size_t>(n));
    if (answer.size() > MaxAnswer) {
      return unavailable("the answer is larger than 1 MiB");
    }
    if (head_end == std::string::npos) {
      head_end = answer.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        auto value = header(std::string_view(answer).substr(0, head_end), "content-length");
        std::size_t parsed_length = 0;
        if (!value.empty() &&
            std::from_chars(value.data(), value.data() + value.size(), parsed_length).ec ==
                std::errc()) {
          length = parsed_length;
        }
      }
    }
  }
  if (head_end == std::string::npos || !answer.starts_with("HTTP/1.")) {
    return unavailable("malformed answer from " + parsed->host);
  }
  HttpResponse response;
  auto status_text = std::string_view(answer).substr(9, 3);
  if (answer.size() < 12 ||
      std::from_chars(status_text.data(), status_text.data() + status_text.size(), response.status)
              .ec != std::errc()) {
    return unavailable("malformed status line from " + parsed->host);
  }
  auto head = std::string_view(answer).substr(0, head_end);
  auto rest = std::string_view(answer).substr(head_end + 4);
  if (header(head, "transfer-encoding").find("chunked") != std::string_view::npos) {
    auto decoded = unchunk(rest);
    if (!decoded) {
      return unavailable("malformed chunked answer from " + parsed->host);
    }
    response.body = std::move(*decoded);
  } else {
    response.body = std::string(length ? rest.substr(0, *length) : rest);
  }
  return response;
}

}  // namespace kefu::ivr
