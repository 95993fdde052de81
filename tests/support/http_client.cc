#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace kefu::test {
namespace {

int connectLoopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

void sendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return;  // the server may close early (e.g. after a 413); the reply still tells
    }
    sent += static_cast<std::size_t>(n);
  }
}

std::string readUntilClosed(int fd) {
  std::string out;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

HttpReply HttpClient::request(const std::string& method, const std::string& path,
                              const std::string& body, const std::string& content_type) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token_.empty()) {
    req += "Authorization: Bearer " + token_ + "\r\n";
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  }
  req += "\r\n" + body;
  return parse(raw(req, false));
}

std::string HttpClient::raw(const std::string& bytes, bool half_close) {
  int fd = connectLoopback(port_);
  sendAll(fd, bytes);
  if (half_close) {
    ::shutdown(fd, SHUT_WR);
  }
  auto out = readUntilClosed(fd);
  ::close(fd);
  return out;
}

HttpReply HttpClient::parse(const std::string& text) {
  HttpReply reply;
  auto header_end = text.find("\r\n\r\n");
  if (text.rfind("HTTP/1.1 ", 0) != 0 || header_end == std::string::npos) {
    return reply;
  }
  reply.status = std::stoi(text.substr(9, 3));
  std::size_t pos = text.find("\r\n") + 2;
  while (pos < header_end) {
    auto eol = text.find("\r\n", pos);
    auto line = text.substr(pos, eol - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      reply.headers[name] = value;
    }
    pos = eol + 2;
  }
  std::size_t length = text.size() - header_end - 4;
  if (auto it = reply.headers.find("content-length"); it != reply.headers.end()) {
    length = std::min<std::size_t>(length, std::stoul(it->second));
  }
  reply.body = text.substr(header_end + 4, length);
  return reply;
}

}  // namespace kefu::test
