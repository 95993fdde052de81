// The WebSocket event stream: authenticated, in order, and a slow subscriber never holds up the
// rest.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <thread>
#include <utility>  // before Asio (Boost 1.74 + g++ 12 + C++20)

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

/** A blocking WebSocket client of /api/v1/events. */
class EventClient {
 public:
  EventClient(std::uint16_t port, const std::string& token) : ws_(io_) {
    tcp::resolver resolver(io_);
    asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      if (!token.empty()) {
        req.set(beast::http::field::authorization, "Bearer " + token);
      }
    }));
    ws_.handshake("127.0.0.1", "/api/v1/events");
  }
  /** @return the next event, or a discarded JSON when the stream closed. */
  Json next() {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    ws_.read(buffer, ec);
    if (ec) {
      closed_with_ = ws_.reason().code;
      return Json::value_t::discarded;
    }
    return Json::parse(beast::buffers_to_string(buffer.data()));
  }
  std::uint16_t closedWith() const { return closed_with_; }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
  std::uint16_t closed_with_ = 0;
};

class EventsTest : public SiteFixture {
 protected:
  void configure(server::Config& config) override { config.events.buffer = 64; }
};

TEST_P(EventsTest, SubscribersSeeDirectoryChangesInOrder) {
  EventClient events(site_->httpPort(), admin_token_);
  auto c = client();
  auto skill = c.post("/api/v1/skills", R"({"name":"billing"})");
  ASSERT_EQ(skill.status, 201);
  auto id = body(skill)["id"].get<std::string>();
  ASSERT_EQ(c.put("/api/v1/skills/" + id, R"({"name":"billing","description":"fees"})").status,
            200);
  ASSERT_EQ(c.del("/api/v1/skills/" + id).status, 204);

  auto created = events.next();
  EXPECT_EQ(created["type"], "skill.created");
  EXPECT_EQ(created["id"], id);
  EXPECT_EQ(created["data"]["name"], "billing");
  auto updated = events.next();
  EXPECT_EQ(updated["type"], "skill.updated");
  EXPECT_EQ(updated["data"]["description"], "fees");
  EXPECT_GT(updated["seq"].get<std::uint64_t>(), created["seq"].get<std::uint64_t>());
  EXPECT_EQ(events.next()["type"], "skill.deleted");
}

TEST_P(EventsTest, AnUnauthenticatedSubscriberIsRefused) {
  EXPECT_THROW(EventClient(site_->httpPort(), ""), boost::system::system_error);
  EXPECT_THROW(EventClient(site_->httpPort(), "wrong"), boost::system::system_error);
  auto plain = client().get("/api/v1/events");
  EXPECT_EQ(plain.status, 426);
}

TEST_P(EventsTest, ASlowSubscriberIsClosedAndNeverBlocksTheOthers) {
  auto& bus = site_->eventsForTest();
  EventClient slow(site_->httpPort(), admin_token_);  // never reads until the end
  EventClient fast(site_->httpPort(), admin_token_);
  // Both subscriptions are registered once the handshake completes on the server.
  for (int i = 0; i < 200 && bus.subscriberCount() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(bus.subscriberCount(), 2u);

  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> in_order{true};
  std::thread reader([&] {
    std::uint64_t last = 0;
    while (true) {
      auto event = fast.next();
      if (event.is_discarded()) {
        return;
      }
      auto seq = event["seq"].get<std::uint64_t>();
      if (seq != last + 1 && last != 0) {
        in_order = false;
      }
      last = seq;
      received.fetch_add(1);
    }
  });

  const std::string payload = Json{{"filler", std::string(4000, 'x')}}.dump();
  std::uint64_t published = 0;
  // Publish in bursts the fast reader keeps up with, until the slow one's socket buffers fill
  // and its queue overflows.
  for (int burst = 0; burst < 5000 && bus.subscriberCount() == 2; ++burst) {
    for (int i = 0; i < 32; ++i) {
      bus.publish({0, "test.filler", "x", 0, payload});
      ++published;
    }
    for (int wait = 0; wait < 500 && received.load() < published; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_EQ(bus.subscriberCount(), 1u) << "the slow subscriber was never dropped";
  for (int wait = 0; wait < 2000 && received.load() < published; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(received.load(), published);
  EXPECT_TRUE(in_order.load());

  // The slow subscriber finds its stream ended: a 1008 close, or a reset if it never read.
  while (!slow.next().is_discarded()) {
  }
  EXPECT_TRUE(slow.closedWith() == websocket::close_code::policy_error || slow.closedWith() == 0);

  site_->stop(std::chrono::seconds(2));  // closes the fast one with "going away"
  reader.join();
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
