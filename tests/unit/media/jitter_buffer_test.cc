#include "media/jitter_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace kefu::media {
namespace {

constexpr int Lost = -1;
constexpr int Empty = -2;

struct Packet {
  uint16_t sequence;
  uint32_t timestamp;
  int64_t arrival_ms;
};

// Packets `first`.. of a steady 20 ms stream; packet i arrives at start_ms + 20 i.
std::vector<Packet> stream(uint16_t first_sequence, uint32_t first_timestamp, int count,
                           int64_t start_ms = 0) {
  std::vector<Packet> packets;
  for (int i = 0; i < count; ++i) {
    packets.push_back({static_cast<uint16_t>(first_sequence + i),
                       first_timestamp + static_cast<uint32_t>(160 * i), start_ms + 20 * i});
  }
  return packets;
}

struct Playout {
  std::vector<int> played;  // per tick: the sequence number played, Lost or Empty
  std::vector<JitterBuffer::PutResult> puts;

  // @return the sequence numbers played, in order.
  std::vector<int> frames() const {
    std::vector<int> out;
    std::copy_if(played.begin(), played.end(), std::back_inserter(out),
                 [](int v) { return v >= 0; });
    return out;
  }
  int count(int what) const {
    return static_cast<int>(std::count(played.begin(), played.end(), what));
  }
};

// Delivers each packet at its arrival time (packets with the same arrival in the order given)
// and pops every 20 ms from 0 to end_ms, as a leg's playout clock would. The payload carries the
// sequence number, so what plays can be checked.
Playout simulate(JitterBuffer& buffer, std::vector<Packet> packets, int64_t end_ms) {
  std::stable_sort(packets.begin(), packets.end(),
                   [](const Packet& a, const Packet& b) { return a.arrival_ms < b.arrival_ms; });
  Playout run;
  std::size_t next = 0;
  for (int64_t now = 0; now <= end_ms; now += 20) {
    while (next < packets.size() && packets[next].arrival_ms <= now) {
      const Packet& packet = packets[next++];
      const std::array<uint8_t, 2> payload = {static_cast<uint8_t>(packet.sequence >> 8),
                                              static_cast<uint8_t>(packet.sequence & 0xFF)};
      run.puts.push_back(buffer.put(packet.sequence, packet.timestamp, payload, packet.arrival_ms));
    }
    JitterBuffer::Output output = buffer.pop(now);
    switch (output.kind) {
      case JitterBuffer::Output::Kind::Frame:
        EXPECT_EQ(output.payload.size(), 2u);
        run.played.push_back((output.payload[0] << 8) | output.payload[1]);
        break;
      case JitterBuffer::Output::Kind::Lost:
        run.played.push_back(Lost);
        break;
      case JitterBuffer::Output::Kind::Empty:
        run.played.push_back(Empty);
        break;
    }
  }
  return run;
}

std::vector<int> range(int first, int count) {
  std::vector<int> out;
  for (int i = 0; i < count; ++i) {
    out.push_back((first + i) & 0xFFFF);
  }
  return out;
}

TEST(JitterBufferTest, IsEmptyBeforeTheFirstPacket) {
  JitterBuffer buffer({});
  EXPECT_EQ(buffer.pop(0).kind, JitterBuffer::Output::Kind::Empty);
  EXPECT_EQ(buffer.pop(20).kind, JitterBuffer::Output::Kind::Empty);
}

TEST(JitterBufferTest, PlaysAnInOrderStreamWithoutGapsAfterTheTargetDelay) {
  JitterBuffer buffer({});
  Playout run = simulate(buffer, stream(1000, 0, 50), 1400);
  EXPECT_EQ(run.frames(), range(1000, 50));
  // The first packet waits for the target delay (20 ms), then one frame plays every tick.
  EXPECT_EQ(run.played[0], Empty);
  EXPECT_EQ(run.played[1], 1000);
  EXPECT_EQ(run.played[50], 1049);
  // After the stream stops: concealment for up to max_delay, then silence.
  EXPECT_EQ(run.played[51], Lost);
  EXPECT_EQ(run.played.back(), Empty);
  EXPECT_EQ(buffer.stats().received, 50u);
  EXPECT_EQ(buffer.stats().lost, 0u);
  EXPECT_EQ(buffer.stats().target_delay_ms, 20);
}

TEST(JitterBufferTest, PutsReorderedPacketsBackInOrder) {
  std::vector<Packet> packets = stream(500, 8000, 50);
  for (std::size_t i = 0; i + 1 < packets.size(); i += 2) {
    // The odd packet overtakes the even one, both within the same tick.
    packets[i].arrival_ms += 10;
    packets[i + 1].arrival_ms -= 15;
  }
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 1400);
  EXPECT_EQ(run.frames(), range(500, 50));
  EXPECT_EQ(buffer.stats().reordered, 25u);
  EXPECT_EQ(buffer.stats().lost, 0u);
}

TEST(JitterBufferTest, PlaysDuplicatesOnce) {
  std::vector<Packet> packets = stream(7, 0, 40);
  std::vector<Packet> copies = packets;
  for (Packet& copy : copies) {
    copy.arrival_ms += 5;
  }
  packets.insert(packets.end(), copies.begin(), copies.end());
  packets.push_back({7, 0, 400});  // a copy long after it played
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 1200);
  EXPECT_EQ(run.frames(), range(7, 40));
  EXPECT_EQ(buffer.stats().duplicates, 41u);
  EXPECT_EQ(std::count(run.puts.begin(), run.puts.end(), JitterBuffer::PutResult::Duplicate), 41);
}

TEST(JitterBufferTest, ReportsALostPacketOnceAndContinues) {
  std::vector<Packet> packets = stream(100, 0, 50);
  packets.erase(packets.begin() + 10);  // sequence 110 never arrives
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 1400);
  std::vector<int> expected = range(100, 50);
  expected.erase(expected.begin() + 10);
  EXPECT_EQ(run.frames(), expected);
  auto at = std::find(run.played.begin(), run.played.end(), 109);
  ASSERT_NE(at, run.played.end());
  EXPECT_EQ(*(at + 1), Lost);
  EXPECT_EQ(*(at + 2), 111);
  EXPECT_EQ(buffer.stats().lost, 1u);
}

TEST(JitterBufferTest, APacketAfterItsTurnIsTooLate) {
  std::vector<Packet> packets = stream(100, 0, 50);
  packets[10].arrival_ms += 200;
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 1400);
  EXPECT_EQ(std::count(run.puts.begin(), run.puts.end(), JitterBuffer::PutResult::TooLate), 1);
  EXPECT_EQ(buffer.stats().late, 1u);
  std::vector<int> frames = run.frames();
  EXPECT_EQ(std::count(frames.begin(), frames.end(), 110), 0);
  EXPECT_EQ(frames.size(), 49u);
  EXPECT_TRUE(std::is_sorted(frames.begin(), frames.end()));
}

TEST(JitterBufferTest, ALatePacketWithNothingBehindItStallsAndStillPlays) {
  // A jitter spike: packet 10 and everything after it come 60 ms late. The buffer conceals
  // while it waits, then plays them all: nothing is lost, the delay grew.
  std::vector<Packet> packets = stream(100, 0, 50);
  for (std::size_t i = 10; i < packets.size(); ++i) {
    packets[i].arrival_ms += 60;
  }
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 1600);
  EXPECT_EQ(run.frames(), range(100, 50));
  EXPECT_EQ(buffer.stats().lost, 0u);
  EXPECT_EQ(buffer.stats().late, 0u);
  EXPECT_GE(run.count(Lost), 3);  // the concealed gap, then the end of the stream
}

TEST(JitterBufferTest, SequenceNumbersWrapAt65535) {
  JitterBuffer buffer({});
  Playout run = simulate(buffer, stream(65520, 4000000000u, 40), 1000);
  EXPECT_EQ(run.frames(), range(65520, 40));
  EXPECT_EQ(buffer.stats().lost, 0u);
  EXPECT_EQ(buffer.stats().late, 0u);
}

TEST(JitterBufferTest, LossAcrossTheWrapIsStillOneLostFrame) {
  std::vector<Packet> packets = stream(65530, 0, 20);
  packets.erase(packets.begin() + 6);  // sequence 0
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 600);
  EXPECT_EQ(run.frames().size(), 19u);
  EXPECT_EQ(buffer.stats().lost, 1u);
}

TEST(JitterBufferTest, TargetDelayRisesWithJitterAndFallsBack) {
  // 2 s of packets alternately on time and 80 ms late, then 20 s of a steady stream.
  std::vector<Packet> packets = stream(0, 0, 100);
  for (std::size_t i = 1; i < packets.size(); i += 2) {
    packets[i].arrival_ms += 80;
  }
  JitterBuffer buffer({.min_delay_ms = 20, .max_delay_ms = 300});
  simulate(buffer, packets, 2000);
  const int jittery = buffer.stats().target_delay_ms;
  // |D| is 80 ms between every pair, so J approaches 80 and the target 20 + 4 x 80, capped.
  EXPECT_GT(jittery, 150);
  EXPECT_GT(buffer.stats().jitter_ms, 40);
  // The delay actually applied grew with it, by concealing a frame now and then.
  EXPECT_GT(buffer.stats().stretched, 3u);
  EXPECT_GE(buffer.currentDelayMs(), 100);

  JitterBuffer steady_after({.min_delay_ms = 20, .max_delay_ms = 300});
  std::vector<Packet> both = packets;
  std::vector<Packet> calm = stream(100, 16000, 1000, 2000);
  both.insert(both.end(), calm.begin(), calm.end());
  Playout run = simulate(steady_after, both, 22000);
  // J decays by 15/16 per packet, and the target may fall 25 ms per second: 20 s of a steady
  // stream bring it back to the minimum.
  EXPECT_LE(steady_after.stats().target_delay_ms, 25);
  // The buffer let go of the delay it built up: it holds little more than the target now.
  EXPECT_LE(steady_after.buffered(), 3u);
  EXPECT_LE(steady_after.currentDelayMs(), 60);
  EXPECT_GT(steady_after.stats().discarded, 0u);
  std::vector<int> frames = run.frames();
  EXPECT_TRUE(std::is_sorted(frames.begin(), frames.end()));
}

TEST(JitterBufferTest, JitterWithinTheTargetPlaysWithoutLoss) {
  // Packets jitter by up to 60 ms; once the target has grown, nothing more is concealed.
  std::vector<Packet> packets = stream(0, 0, 300);
  const int offsets[] = {0, 60, 10, 45, 30, 5, 55, 20};
  for (std::size_t i = 0; i < packets.size(); ++i) {
    packets[i].arrival_ms += offsets[i % 8];
  }
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 7000);
  std::vector<int> second_half(run.played.begin() + 150, run.played.begin() + 280);
  EXPECT_EQ(std::count(second_half.begin(), second_half.end(), Lost), 0);
  EXPECT_GE(buffer.stats().target_delay_ms, 60);
}

TEST(JitterBufferTest, ANewTalkSpurtAfterSilenceResynchronises) {
  // 1 s of speech, 2 s of silence (nothing sent; the timestamp moves on), 1 s of speech.
  std::vector<Packet> packets = stream(10, 0, 50);
  std::vector<Packet> second = stream(60, 160 * 150, 50, 3000);
  packets.insert(packets.end(), second.begin(), second.end());
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 4400);
  std::vector<int> expected = range(10, 100);
  EXPECT_EQ(run.frames(), expected);
  EXPECT_EQ(buffer.stats().lost, 0u);
  // The silence between the spurts is silence (Empty), not a long concealment.
  std::vector<int> gap(run.played.begin() + 70, run.played.begin() + 145);
  EXPECT_EQ(std::count(gap.begin(), gap.end(), Empty), 75);
}

TEST(JitterBufferTest, ATimestampJumpWithinAStreamKeepsPlayingAndDoesNotLookLikeJitter) {
  // The sender's timestamp base changes mid-stream (a re-INVITE keeping SSRC and sequence).
  std::vector<Packet> packets = stream(100, 0, 50);
  std::vector<Packet> second = stream(150, 3000000000u, 50, 1000);
  packets.insert(packets.end(), second.begin(), second.end());
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 2400);
  EXPECT_EQ(run.frames(), range(100, 100));
  EXPECT_EQ(buffer.stats().lost, 0u);
  EXPECT_LT(buffer.stats().jitter_ms, 1.0);
  EXPECT_EQ(buffer.stats().target_delay_ms, 20);
}

TEST(JitterBufferTest, ANewSourceAfterAReInviteTakesOver) {
  // A different sender (new sequence and timestamp bases) replaces the first without a pause.
  std::vector<Packet> packets = stream(100, 0, 50);
  std::vector<Packet> second = stream(40000, 123456789u, 50, 1000);
  packets.insert(packets.end(), second.begin(), second.end());
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 2600);
  std::vector<int> frames = run.frames();
  std::vector<int> from_second;
  std::copy_if(frames.begin(), frames.end(), std::back_inserter(from_second),
               [](int s) { return s >= 40000; });
  // The first packet of the new source might be taken for a stray; the rest all play.
  EXPECT_GE(from_second.size(), 49u);
  EXPECT_TRUE(std::is_sorted(from_second.begin(), from_second.end()));
  EXPECT_EQ(from_second.back(), 40049);
}

TEST(JitterBufferTest, ANewSourceWithLowerSequenceNumbersTakesOverToo) {
  std::vector<Packet> packets = stream(30000, 0, 50);
  std::vector<Packet> second = stream(5, 999, 50, 1000);
  packets.insert(packets.end(), second.begin(), second.end());
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 2600);
  std::vector<int> frames = run.frames();
  EXPECT_GE(std::count_if(frames.begin(), frames.end(), [](int s) { return s < 100; }), 49);
  EXPECT_EQ(frames.back(), 54);
}

TEST(JitterBufferTest, AStrayPacketFromFarAwayIsIgnored) {
  std::vector<Packet> packets = stream(100, 0, 50);
  packets.push_back({30000, 5, 300});
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 1400);
  EXPECT_EQ(run.frames(), range(100, 50));
}

TEST(JitterBufferTest, ABurstBeyondCapacityOverflowsAndDropsTheOldest) {
  // The network held 20 packets and delivered them at once, into 8 slots.
  std::vector<Packet> packets = stream(0, 0, 40);
  for (int i = 5; i < 25; ++i) {
    packets[static_cast<std::size_t>(i)].arrival_ms = 500;
  }
  JitterBuffer buffer({.capacity = 8});
  Playout run = simulate(buffer, packets, 1400);
  EXPECT_GT(std::count(run.puts.begin(), run.puts.end(), JitterBuffer::PutResult::Overflow), 0);
  std::vector<int> frames = run.frames();
  EXPECT_TRUE(std::is_sorted(frames.begin(), frames.end()));
  EXPECT_EQ(frames.back(), 39);
  EXPECT_GT(buffer.stats().discarded, 0u);
}

TEST(JitterBufferTest, ARandomBadNetworkNeverPlaysOutOfOrderOrTwice) {
  // 60 s across the wrap: random delay (mostly small, sometimes 150 ms), 3 % loss, 2 % copies.
  std::mt19937 random(42);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<Packet> packets;
  for (int i = 0; i < 3000; ++i) {
    Packet packet{static_cast<uint16_t>(64000 + i), static_cast<uint32_t>(160 * i), 20 * i};
    double roll = uniform(random);
    packet.arrival_ms += roll < 0.05 ? 150 : static_cast<int64_t>(30 * uniform(random));
    if (uniform(random) < 0.03) {
      continue;
    }
    packets.push_back(packet);
    if (uniform(random) < 0.02) {
      packet.arrival_ms += 7;
      packets.push_back(packet);
    }
  }
  JitterBuffer buffer({});
  Playout run = simulate(buffer, packets, 60400);
  std::vector<int64_t> unwrapped;
  for (int sequence : run.frames()) {
    unwrapped.push_back(sequence < 64000 ? sequence + 65536 : sequence);
  }
  EXPECT_TRUE(std::is_sorted(unwrapped.begin(), unwrapped.end()));
  EXPECT_EQ(std::adjacent_find(unwrapped.begin(), unwrapped.end()), unwrapped.end());
  // Nearly all of what arrived played (3 % never did): the target covers the spikes, and it
  // does not swing with them, so the buffer rarely needs to stretch or discard.
  EXPECT_GT(unwrapped.size(), 2850u);
  EXPECT_LT(buffer.stats().discarded + buffer.stats().stretched, 40u);
  const JitterBuffer::Stats& stats = buffer.stats();
  EXPECT_EQ(stats.received, packets.size());
  EXPECT_GT(stats.duplicates, 30u);
  EXPECT_GE(stats.target_delay_ms, 20);
  EXPECT_LE(stats.target_delay_ms, 200);
}

TEST(JitterBufferTest, RefusesAPayloadLargerThanASlot) {
  JitterBuffer buffer({});
  std::vector<uint8_t> huge(MaxPayloadBytes + 1);
  EXPECT_EQ(buffer.put(1, 160, huge, 0), JitterBuffer::PutResult::Overflow);
  EXPECT_EQ(buffer.pop(100).kind, JitterBuffer::Output::Kind::Empty);
}

TEST(JitterBufferTest, KeepsEachPayloadIntact) {
  JitterBuffer buffer({});
  std::vector<uint8_t> big(MaxPayloadBytes, 0xAB);
  big.front() = 1;
  big.back() = 2;
  ASSERT_EQ(buffer.put(9, 0, big, 0), JitterBuffer::PutResult::Stored);
  JitterBuffer::Output output = buffer.pop(40);
  ASSERT_EQ(output.kind, JitterBuffer::Output::Kind::Frame);
  EXPECT_TRUE(std::equal(output.payload.begin(), output.payload.end(), big.begin(), big.end()));
}

}  // namespace
}  // namespace kefu::media
