// The only translation unit that includes Boost.Beast: HTTP sessions, the WebSocket event stream
// and the bridge to the blocking pool.

#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 with g++ 12 in C++20 needs std::exchange declared
#include <vector>

#include "api/error_mapping.h"
#include "api/json_writer.h"
#include "core/percent_decode.h"

namespace kefu::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

constexpr auto ReadTimeout = std::chrono::seconds(30);
constexpr std::size_t MaxHeaderBytes = 16 * 1024;
constexpr std::string_view EventsPath = "/api/v1/events";
constexpr std::size_t MaxStaticFileBytes = 64 * 1024 * 1024;

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

/** Runs `f` on the blocking pool and resumes the coroutine on its own executor with the result. */
template <class F>
awaitable<std::invoke_result_t<F>> offload(BlockingPool& pool, F f) {
  using R = std::invoke_result_t<F>;
  auto executor = co_await asio::this_coro::executor;
  // The initiation is a named local, not a temporary inside co_await: g++ 12 destroys such
  // temporaries twice, and this one holds a reference to the strand.
  auto initiation = [&pool, executor](auto handler, F work) {
    auto guard = asio::make_work_guard(executor);
    pool.submit(
        [handler = std::move(handler), work = std::move(work), guard = std::move(guard)]() mutable {
          R result = work();
          auto ex = asio::get_associated_executor(handler, guard.get_executor());
          asio::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
  };
  co_return co_await asio::async_initiate<decltype(use_awaitable), void(R)>(
      initiation, use_awaitable, std::move(f));
}

std::string queryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      return std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return {};
}

/** One WebSocket subscriber's bounded queue; shared by the bus callback and the writer. */
struct Subscriber {
  explicit Subscriber(asio::any_io_executor ex, std::size_t capacity, auth::Role role)
      : wake(ex), drop(ex), capacity(capacity), role(role) {}

  asio::steady_timer wake;  // cancelled to wake the writer; used on the session's strand only
  asio::steady_timer drop;  // after an overflow: how long the writer has to send its close frame
  std::function<void()>
      abort;  // closes the socket under a writer stuck on a peer that reads nothing
  std::mutex mutex;
  std::deque<DomainEventPtr> queue;
  std::deque<std::string> direct;  // frames for this socket only (replies to its messages)
  std::size_t capacity;
  auth::Role role;
  bool overflowed = false;
  bool going_away = false;
  bool closed = false;
};
using SubscriberPtr = std::shared_ptr<Subscriber>;

/** @return the Content-Type of a file of the web app, by its extension. */
std::string_view contentTypeOf(const std::filesystem::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> Types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
      {".wav", "audio/wav"},
  }};
  auto extension = file.extension().string();
  for (const auto& [ext, type] : Types) {
    if (ext == extension) {
      return type;
    }
  }
  return "application/octet-stream";
}

/** @return the path with %XX escapes decoded, or nullopt for a malformed escape or a NUL. */
std::optional<std::string> percentDecodedPath(std::string_view path) {
  auto decoded = percentDecode(path);
  if (!decoded || decoded->find('\0') != std::string::npos) {
    return std::nullopt;
  }
  return decoded;
}

/** @return whether `path` is answered by the API rather than by the web app's files. */
bool apiPath(std::string_view path) {
  auto under = [path](std::string_view prefix) {
    return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
  };
  return under("/api") || under("/metrics") || under("/healthz");
}

/** @return the bytes of `file`, or nullopt when it cannot be read (or is too big). */
std::optional<std::string> readFile(const std::filesystem::path& file) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec || size > MaxStaticFileBytes) {
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) {
    return std::nullopt;
  }
  return bytes;
}

}  // namespace

std::string socketErrorFrame(std::string_view field, std::string_view message) {
  std::string out;
  JsonWriter w(out);
  w.beginObject().key("type").value("softphone.error").key("field").valueOrNull(field);
  w.key("message").value(message).endObject();
  return out;
}

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const RestApi& api, stats::Metrics& metrics, EventBus& events,
       auth::Authenticator& authenticator, BlockingPool& pool)
      : options_(std::move(options)),
        api_(api),
        metrics_(metrics),
        events_(events),
        authenticator_(authenticator),
        pool_(pool),
        acceptor_(io_) {}

  void setSocketHandler(SocketHandler* handler) { socket_handler_ = handler; }

  Result<void> start() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return Error::invalid("http.listen", "not an IP address: " + options_.host);
    }
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Error{ErrorCode::Unavailable,
                   "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                       ": " + ec.message(),
                   "http.listen"};
    }
    port_ = acceptor_.local_endpoint().port();
    if (!options_.web_root.empty()) {
      std::error_code fs_ec;
      auto root = std::filesystem::canonical(options_.web_root, fs_ec);
      if (fs_ec || !std::filesystem::is_directory(root, fs_ec)) {
        spdlog::info("http: no web app at {} (web.root): serving the API only", options_.web_root);
      } else {
        web_root_ = root;
        spdlog::info("http: serving the web app from {}", web_root_.string());
      }
    }
    metrics_.addCallbackGauge("kefu_events_subscribers", "WebSocket event stream subscribers",
                              [this] { return static_cast<double>(subscriberCount()); });
    metrics_.addCallbackGauge("kefu_http_requests_in_flight", "HTTP requests being answered",
                              [this] { return static_cast<double>(in_flight_.load()); });
    asio::co_spawn(io_, accept(), asio::detached);
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return {};
  }

  std::uint16_t port() const { return port_; }

  void stop(std::chrono::milliseconds grace) {
    if (threads_.empty()) {
      return;
    }
    stopping_ = true;
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    {
      std::lock_guard lock(subscribers_mutex_);
      for (auto& sub : subscribers_) {
        signal(sub, [](Subscriber& s) { s.going_away = true; });
      }
    }
    // Give WebSockets a moment to send their close frames.
    auto ws_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (subscriberCount() > 0 && std::chrono::steady_clock::now() < ws_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    io_.stop();
    for (auto& t : threads_) {
      t.join();
    }
    threads_.clear();
  }

 private:
  awaitable<void> accept() {
    while (acceptor_.is_open()) {
      boost::system::error_code ec;
      // Named for the g++ 12 reason given in offload().
      auto strand = asio::make_strand(io_);
      auto socket =
          co_await acceptor_.async_accept(strand, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
          co_return;
        }
        spdlog::warn("http: accept failed: {}", ec.message());
        continue;
      }
      beast::tcp_stream stream(std::move(socket));
      asio::co_spawn(strand, serve(std::move(stream)), asio::detached);
    }
  }

  /** One connection: requests in order until the peer closes, an error, or an upgrade. */
  awaitable<void> serve(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    while (!stopping_) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(MaxHeaderBytes);
      parser.body_limit(options_.max_body_bytes);
      boost::system::error_code ec;
      stream.expires_after(ReadTimeout);
      co_await http::async_read_header(stream, buffer, parser,
                                       asio::redirect_error(use_awaitable, ec));
      if (!ec && parser.get()[http::field::expect] == "100-continue") {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        co_await http::async_write(stream, go_on, asio::redirect_error(use_awaitable, ec));
      }
      if (!ec && !parser.is_done()) {
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      }
      if (ec) {
        if (ec == http::error::end_of_stream || ec == asio::error::eof ||
            ec == beast::error::timeout || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted) {
          co_return;
        }
        co_await sendParseError(stream, ec);
        co_return;
      }
      auto request = parser.release();
      if (websocket::is_upgrade(request) && pathOf(request.target()) == EventsPath) {
        co_await streamEvents(std::move(stream), std::move(request));
        co_return;
      }
      in_flight_.fetch_add(1);
      auto started = std::chrono::steady_clock::now();
      // Not a conditional expression: g++ 12 miscompiles co_await in one.
      std::pair<http::response<http::string_body>, std::string> response;
      if (servesFile(request)) {
        response = co_await serveFile(request);
      } else {
        response = co_await answer(request);
      }
      metrics_.observeHttpRequest(
          response.second, view(request.method_string()), response.first.result_int(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      bool keep_alive = response.first.keep_alive() && !stopping_;
      response.first.keep_alive(keep_alive);
      co_await http::async_write(stream, response.first, asio::redirect_error(use_awaitable, ec));
      in_flight_.fetch_sub(1);
      if (ec || !keep_alive) {
        break;
      }
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  /** @return whether the request is for the web app's files (a GET or HEAD outside the API). */
  bool servesFile(const http::request<http::string_body>& request) const {
    if (web_root_.empty() ||
        (request.method() != http::verb::get && request.method() != http::verb::head)) {
      return false;
    }
    auto path = pathOf(request.target());
    return !path.empty() && path.front() == '/' && !apiPath(path);
  }

  /** Answers a GET of the web app: the file, index.html for an app route, 404 otherwise. Paths
   *  that try to leave the root (`..`, encoded or not) are refused with 404. */
  awaitable<std::pair<http::response<http::string_body>, std::string>> serveFile(
      const http::request<http::string_body>& request) {
    std::string path(pathOf(request.target()));
    unsigned version = request.version();
    bool keep_alive = request.keep_alive();
    bool head = request.method() == http::verb::head;
    auto work = [root = web_root_, path = std::move(path)]() -> HttpResponse {
      auto decoded = percentDecodedPath(path);
      if (!decoded) {
        return errorResponse(400, "bad_request", "malformed path");
      }
      std::filesystem::path relative;
      for (std::string_view rest = *decoded; !rest.empty();) {
        auto slash = rest.find('/');
        auto segment = rest.substr(0, slash);
        if (segment == ".." || segment.find('\\') != std::string_view::npos) {
          return errorResponse(404, "not_found", "no such file");
        }
        if (!segment.empty() && segment != ".") {
          relative /= std::string(segment);
        }
        if (slash == std::string_view::npos) {
          break;
        }
        rest.remove_prefix(slash + 1);
      }
      std::error_code ec;
      auto file = root / relative;
      if (std::filesystem::is_directory(file, ec)) {
        file /= "index.html";
      }
      auto canonical = std::filesystem::weakly_canonical(file, ec);
      auto [root_end, nothing] =
          std::mismatch(root.begin(), root.end(), canonical.begin(), canonical.end());
      if (ec || root_end != root.end()) {
        return errorResponse(404, "not_found", "no such file");  // a symlink out of the root
      }
      if (!std::filesystem::is_regular_file(canonical, ec)) {
        // An app route (no extension in its last segment) is the app's to show.
        if (relative.has_extension()) {
          return errorResponse(404, "not_found", "no such file");
        }
        canonical = root / "index.html";
      }
      auto bytes = readFile(canonical);
      if (!bytes) {
        return errorResponse(404, "not_found", "no such file");
      }
      HttpResponse response{200, std::move(*bytes), std::string(contentTypeOf(canonical))};
      // Vite's hashed assets never change; index.html must be checked every time.
      bool hashed = canonical.parent_path().filename() == "assets";
      response.headers.emplace_back("Cache-Control",
                                    hashed ? "public, max-age=31536000, immutable" : "no-cache");
      return response;
    };
    auto response = co_await offload(pool_, std::move(work));
    auto out = toBeast(std::move(response), version, keep_alive);
    if (head) {
      out.body().clear();
      out.prepare_payload();
    }
    co_return std::pair{std::move(out), std::string("static")};
  }

  static std::string_view pathOf(beast::string_view target) {
    std::string_view t(target.data(), target.size());
    return t.substr(0, t.find('?'));
  }

  awaitable<void> sendParseError(beast::tcp_stream& stream, const boost::system::error_code& ec) {
    HttpResponse error;
    if (ec == http::error::body_limit) {
      error = errorResponse(
          413, "payload_too_large",
          "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
    } else if (ec == http::error::header_limit) {
      error = errorResponse(431, "headers_too_large", "request headers exceed 16 KiB");
    } else {
      error = errorResponse(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    metrics_.observeHttpRequest("unparsed", "", error.status, 0);
    auto response = toBeast(std::move(error), 11, false);
    boost::system::error_code ignored;
    stream.expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ignored));
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  static http::response<http::string_body> toBeast(HttpResponse r, unsigned version,
                                                   bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(r.status), version};
    out.set(http::field::server, "kefu");
    if (!r.body.empty()) {
      out.set(http::field::content_type, r.content_type);
    }
    for (auto& [name, value] : r.headers) {
      out.set(name, value);
    }
    out.body() = std::move(r.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
  }

  /** @return the response and the route pattern it matched. */
  awaitable<std::pair<http::response<http::string_body>, std::string>> answer(
      const http::request<http::string_body>& request) {
    HttpRequest r;
    std::string_view target(request.target().data(), request.target().size());
    unsigned version = request.version();
    bool keep_alive = request.keep_alive();
    if (target.empty() || target.front() != '/') {
      co_return std::pair{
          toBeast(errorResponse(400, "bad_request", "request target must be a path"), version,
                  false),
          std::string("unmatched")};
    }
    auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
      r.query = std::string(target.substr(q + 1));
    }
    r.method = std::string(view(request.method_string()));
    r.authorization = std::string(view(request[http::field::authorization]));
    r.content_type = std::string(view(request[http::field::content_type]));
    r.body = request.body();
    // Named for the g++ 12 reason given in offload().
    auto work = [this, r = std::move(r)]() {
      std::string route;
      auto response = api_.handle(r, route);
      return std::pair{std::move(response), std::move(route)};
    };
    auto result = co_await offload(pool_, std::move(work));
    co_return std::pair{toBeast(std::move(result.first), version, keep_alive),
                        std::move(result.second)};
  }

  // ---- WebSocket event stream ----

  std::size_t subscriberCount() {
    std::lock_guard lock(subscribers_mutex_);
    return subscribers_.size();
  }

  /** Changes a subscriber's state under its lock and wakes its writer on its strand. */
  template <class F>
  static void signal(const SubscriberPtr& sub, F change) {
    {
      std::lock_guard lock(sub->mutex);
      change(*sub);
    }
    asio::post(sub->wake.get_executor(), [sub] { sub->wake.cancel(); });
  }

  awaitable<void> streamEvents(beast::tcp_stream stream, http::request<http::string_body> request) {
    std::string_view target(request.target().data(), request.target().size());
    auto q = target.find('?');
    std::string token(bearerToken(view(request[http::field::authorization])));
    if (token.empty() && q != std::string_view::npos) {
      token = queryParam(target.substr(q + 1), "access_token");
    }
    auto check = [this, token] { return authenticator_.authenticate(token); };
    auto principal = co_await offload(pool_, std::move(check));
    boost::system::error_code ec;
    if (!principal) {
      auto response = toBeast(errorResponse(principal.error()), request.version(), false);
      metrics_.observeHttpRequest(EventsPath, "GET", response.result_int(), 0);
      co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
      co_return;
    }
    metrics_.observeHttpRequest(EventsPath, "GET", 101, 0);
    stream.expires_never();
    auto executor = stream.get_executor();
    auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(stream));
    ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws->read_message_max(64 * 1024);
    co_await ws->async_accept(request, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      co_return;
    }
    auto sub = std::make_shared<Subscriber>(executor, options_.event_buffer, principal->role);
    sub->abort = [weak = std::weak_ptr(ws)] {
      if (auto stream = weak.lock()) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(*stream).socket().close(ignored);
      }
    };
    sub->wake.expires_at(asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(subscribers_mutex_);
      subscribers_.insert(sub);
    }
    auto id = events_.subscribe([sub](const DomainEventPtr& event) {
      if (event->type.starts_with("user.") && sub->role != auth::Role::Admin &&
          sub->role != auth::Role::Auditor) {
        return;  // only administrators and auditors see user changes
      }
      bool wake = false;
      {
        std::lock_guard lock(sub->mutex);
        if (sub->closed || sub->overflowed) {
          return;
        }
        if (sub->queue.size() >= sub->capacity) {
          sub->overflowed = true;
          asio::post(sub->drop.get_executor(), [sub] {
            sub->drop.expires_after(std::chrono::seconds(2));
            sub->drop.async_wait([sub](const boost::system::error_code& ec) {
              if (!ec && sub->abort) {
                sub->abort();
              }
            });
          });
        } else {
          sub->queue.push_back(event);
        }
        wake = sub->queue.size() == 1 || sub->overflowed;
      }
      if (wake) {
        asio::post(sub->wake.get_executor(), [sub] { sub->wake.cancel(); });
      }
    });
    // The reader keeps control frames (ping, close) flowing and hands client messages over.
    asio::co_spawn(executor, readUntilClosed(ws, sub, *principal), asio::detached);
    co_await writeEvents(*ws, *sub);
    events_.unsubscribe(id);
    {
      std::lock_guard lock(sub->mutex);
      sub->closed = true;
      sub->queue.clear();
    }
    sub->drop.cancel();
    sub->abort = nullptr;
    std::lock_guard lock(subscribers_mutex_);
    subscribers_.erase(sub);
  }

  /** @return a sender of frames to `sub` alone; it holds the subscriber weakly. */
  static SocketSend senderTo(const SubscriberPtr& sub) {
    return [weak = std::weak_ptr(sub)](std::string frame) {
      auto s = weak.lock();
      if (!s) {
        return false;
      }
      bool wake = false;
      {
        std::lock_guard lock(s->mutex);
        if (s->closed || s->overflowed) {
          return false;
        }
        if (s->direct.size() >= s->capacity) {
          return false;  // a client that reads nothing: its replies are dropped
        }
        s->direct.push_back(std::move(frame));
        wake = s->direct.size() == 1;
      }
      if (wake) {
        asio::post(s->wake.get_executor(), [s] { s->wake.cancel(); });
      }
      return true;
    };
  }

  awaitable<void> readUntilClosed(std::shared_ptr<websocket::stream<beast::tcp_stream>> ws,
                                  SubscriberPtr sub, auth::Principal principal) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    const SocketId socket = next_socket_id_.fetch_add(1);
    auto send = senderTo(sub);
    bool spoke = false;  // the handler heard from this socket: it hears of its close too
    while (true) {
      buffer.clear();
      co_await ws->async_read(buffer, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        break;
      }
      if (!ws->got_text()) {
        send(socketErrorFrame({}, "messages are JSON text frames"));
        continue;
      }
      auto message = Json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      if (message.is_discarded() || !message.is_object()) {
        send(socketErrorFrame({}, "a message is one JSON object"));
        continue;
      }
      auto type = message.find("type");
      if (type == message.end() || !type->is_string()) {
        send(socketErrorFrame("type", "is required and must be a string"));
        continue;
      }
      if (socket_handler_ == nullptr) {
        send(socketErrorFrame("type", "this site takes no client messages"));
        continue;
      }
      spoke = true;
      // Named for the g++ 12 reason given in offload(); one message at a time, in order.
      auto work = [handler = socket_handler_, socket, principal, message = std::move(message),
                   send] {
        handler->onSocketMessage(socket, principal, message, send);
        return true;
      };
      co_await offload(pool_, std::move(work));
    }
    signal(sub, [](Subscriber& s) { s.closed = true; });
    if (spoke) {
      auto closed = [handler = socket_handler_, socket, principal] {
        handler->onSocketClosed(socket, principal);
        return true;
      };
      co_await offload(pool_, std::move(closed));
    }
  }

  awaitable<void> writeEvents(websocket::stream<beast::tcp_stream>& ws, Subscriber& sub) {
    boost::system::error_code ec;
    ws.text(true);
    while (true) {
      std::deque<DomainEventPtr> batch;
      std::deque<std::string> direct;
      bool overflowed, going_away, closed;
      {
        std::lock_guard lock(sub.mutex);
        batch.swap(sub.queue);
        direct.swap(sub.direct);
        overflowed = sub.overflowed;
        going_away = sub.going_away;
        closed = sub.closed;
      }
      if (closed) {
        co_return;
      }
      for (auto& frame : direct) {
        co_await ws.async_write(asio::buffer(frame), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          co_return;
        }
      }
      for (auto& event : batch) {
        auto frame = "{\"seq\":" + std::to_string(event->sequence) + ",\"type\":\"" + event->type +
                     "\",\"id\":\"" + event->entity_id +
                     "\",\"at_ms\":" + std::to_string(event->at_ms) +
                     ",\"data\":" + event->payload_json + "}";
        co_await ws.async_write(asio::buffer(frame), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          co_return;
        }
      }
      if (overflowed || going_away) {
        websocket::close_reason reason =
            overflowed
                ? websocket::close_reason(websocket::close_code::policy_error,
                                          "subscriber too slow: more than " +
                                              std::to_string(sub.capacity) + " events buffered")
                : websocket::close_reason(websocket::close_code::going_away, "site shutting down");
        if (overflowed) {
          spdlog::warn("events: closing a slow subscriber ({} events buffered)", sub.capacity);
        }
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
        co_await ws.async_close(reason, asio::redirect_error(use_awaitable, ec));
        co_return;
      }
      if (batch.empty() && direct.empty()) {
        sub.wake.expires_at(asio::steady_timer::time_point::max());
        co_await sub.wake.async_wait(asio::redirect_error(use_awaitable, ec));
      }
    }
  }

  HttpServerOptions options_;
  // not owned, outlive this
  const RestApi& api_;
  stats::Metrics& metrics_;
  EventBus& events_;
  auth::Authenticator& authenticator_;
  BlockingPool& pool_;
  // owned
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0};
  std::mutex subscribers_mutex_;
  std::set<SubscriberPtr> subscribers_;
  SocketHandler* socket_handler_ = nullptr;  // not owned; set before start()
  std::atomic<SocketId> next_socket_id_{1};
  std::filesystem::path web_root_;  // canonical; empty: API only
};

HttpServer::HttpServer(HttpServerOptions options, const RestApi& api, stats::Metrics& metrics,
                       EventBus& events, auth::Authenticator& authenticator, BlockingPool& pool)
    : impl_(std::make_unique<Impl>(std::move(options), api, metrics, events, authenticator, pool)) {
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

void HttpServer::setSocketHandler(SocketHandler* handler) { impl_->setSocketHandler(handler); }
Result<void> HttpServer::start() { return impl_->start(); }
std::uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::stop(std::chrono::milliseconds grace) { impl_->stop(grace); }

}  // namespace kefu::api
