// Event fan-out latency: N WebSocket subscribers of a running `kefu serve` (GET /api/v1/events),
// then state changes made through the REST API (an agent made not ready, then ready, in turn);
// each subscriber timestamps the frame of each change as it arrives. The figure is the 99th
// percentile, over every subscriber and change, of arrival minus the moment the REST request
// was sent. Client only (Boost.Beast, header-only): scripts/bench.sh compiles and runs it.
//
// usage: events_fanout PORT TOKEN AGENT_ID [SUBSCRIBERS=1000] [CHANGES=20]
// prints: bench: events_fanout_p99_ms_1000_subscribers VALUE ms (and p50 on stderr)

// Before Asio: Boost 1.74 with g++ 12 in C++20 needs std::exchange declared.
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/** One subscriber: reads frames and keeps the arrival time of each `agent.updated` one. */
struct Subscriber {
  explicit Subscriber(asio::io_context& io) : ws(io) {}
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::vector<Clock::time_point> arrivals;  // one per change seen, in order
};

void readNext(const std::shared_ptr<Subscriber>& sub, std::string_view marker) {
  sub->ws.async_read(sub->buffer, [sub, marker](beast::error_code ec, std::size_t) {
    if (ec) {
      return;
    }
    auto now = Clock::now();
    auto data = beast::buffers_to_string(sub->buffer.data());
    sub->buffer.consume(sub->buffer.size());
    if (data.find(marker) != std::string::npos) {
      sub->arrivals.push_back(now);
    }
    readNext(sub, marker);
  });
}

/** Sends one REST request on a fresh connection; @return its status. */
int post(const std::string& port, const std::string& token, const std::string& target,
         const std::string& body) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.connect(resolver.resolve("127.0.0.1", port));
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, "Bearer " + token);
  request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return response.result_int();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) {
    return -1;
  }
  std::sort(values.begin(), values.end());
  auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: events_fanout PORT TOKEN AGENT_ID [SUBSCRIBERS] [CHANGES]\n";
    return 2;
  }
  const std::string port = argv[1];
  const std::string token = argv[2];
  const std::string agent_id = argv[3];
  const int subscribers = argc > 4 ? std::atoi(argv[4]) : 1000;
  const int changes = argc > 5 ? std::atoi(argv[5]) : 20;
  // The change's own event: the agent's state in the routing log names the agent.
  static const std::string marker = "\"" + agent_id + "\"";

  asio::io_context io;
  std::vector<std::shared_ptr<Subscriber>> subs;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve("127.0.0.1", port);
  for (int i = 0; i < subscribers; ++i) {
    auto sub = std::make_shared<Subscriber>(io);
    beast::get_lowest_layer(sub->ws).connect(endpoints);
    sub->ws.handshake("127.0.0.1:" + port, "/api/v1/events?access_token=" + token);
    subs.push_back(sub);
  }
  std::cerr << "[events_fanout] " << subscribers << " subscribers connected\n";
  for (auto& sub : subs) {
    readNext(sub, marker);
  }
  auto guard = asio::make_work_guard(io);
  std::thread reader([&io] { io.run(); });

  std::vector<Clock::time_point> sent;
  for (int i = 0; i < changes; ++i) {
    bool ready = i % 2 == 1;
    std::string target = "/api/v1/agents/" + agent_id + (ready ? "/ready" : "/not-ready");
    // Every subscriber has seen the previous change before the next is made.
    auto wait_until = Clock::now() + std::chrono::seconds(10);
    auto caught_up = [&] {
      return std::all_of(subs.begin(), subs.end(),
                         [&](const auto& s) { return s->arrivals.size() >= sent.size(); });
    };
    while (!caught_up() && Clock::now() < wait_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sent.push_back(Clock::now());
    int status = post(port, token, target, ready ? "{}" : R"({"reason":"break"})");
    if (status != 200) {
      std::cerr << "[events_fanout] " << target << " answered " << status << "\n";
      io.stop();
      reader.join();
      return 1;
    }
  }
  auto wait_until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < wait_until) {
    bool all = std::all_of(subs.begin(), subs.end(),
                           [&](const auto& s) { return s->arrivals.size() >= sent.size(); });
    if (all) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  io.stop();
  reader.join();

  std::vector<double> latencies;
  std::size_t missing = 0;
  for (const auto& sub : subs) {
    // The first matching frame of each change (a change may publish more than one event about
    // the agent: the first is when the subscriber learned of it).
    std::size_t next = 0;
    for (std::size_t c = 0; c < sent.size(); ++c) {
      while (next < sub->arrivals.size() && sub->arrivals[next] < sent[c]) {
        ++next;
      }
      if (next >= sub->arrivals.size() ||
          (c + 1 < sent.size() && sub->arrivals[next] >= sent[c + 1])) {
        ++missing;
        continue;
      }
      latencies.push_back(
          std::chrono::duration<double, std::milli>(sub->arrivals[next] - sent[c]).count());
    }
  }
  if (missing > 0) {
    std::cerr << "[events_fanout] " << missing << " deliveries missing\n";
    return 1;
  }
  std::cerr << "[events_fanout] " << latencies.size() << " deliveries, p50 "
            << percentile(latencies, 0.5) << " ms, max "
            << *std::max_element(latencies.begin(), latencies.end()) << " ms\n";
  std::printf("bench: events_fanout_p99_ms_%d_subscribers %.1f ms\n", subscribers,
              percentile(latencies, 0.99));
  return 0;
}
