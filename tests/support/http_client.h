#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace kefu::test {

struct HttpReply {
  int status = 0;                              // 0 when the connection closed without a response
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

/** A deliberately simple blocking HTTP/1.1 client over loopback, one connection per request. */
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : port_(port) {}

  /** Sets the bearer token sent with later requests (empty: none). */
  void setToken(std::string token) { token_ = std::move(token); }

  HttpReply get(const std::string& path) { return request("GET", path, ""); }
  HttpReply post(const std::string& path, const std::string& json) {
    return request("POST", path, json);
  }
  HttpReply put(const std::string& path, const std::string& json) {
    return request("PUT", path, json);
  }
  HttpReply del(const std::string& path) { return request("DELETE", path, ""); }
  HttpReply request(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& content_type = "application/json");

  /** Sends `bytes` as they are, then reads until the server closes (or 5 s pass). */
  std::string raw(const std::string& bytes, bool half_close = true);
  /** @return the first response parsed out of `raw()` output. */
  static HttpReply parse(const std::string& text);

 private:
  std::uint16_t port_;
  std::string token_;
};

}  // namespace kefu::test
