#include "media/internal/media_thread.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "core/assert.h"

namespace kefu::media {
namespace {

constexpr int MaxCatchUpTicks = 5;

void addToEpoll(int epoll_fd, int fd, void* tag) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = tag;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    KEFU_BUG("media: epoll_ctl ADD failed");
  }
}

}  // namespace

MediaThread::MediaThread(const EngineConfig& config, MediaEngineListener& listener)
    : config_(config),
      listener_(listener),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      timer_fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
      batch_(std::make_unique<DatagramBatch>()),
      send_(std::make_unique<SendBatch>()) {
  addToEpoll(epoll_fd_, wake_fd_, &wake_fd_);
  addToEpoll(epoll_fd_, timer_fd_, &timer_fd_);
  itimerspec period{};
  period.it_interval.tv_nsec = PtimeMs * 1'000'000L;
  period.it_value.tv_nsec = PtimeMs * 1'000'000L;
  timerfd_settime(timer_fd_, 0, &period, nullptr);
  thread_ = std::thread([this] { run(); });
}

MediaThread::~MediaThread() {
  stop();
  ::close(epoll_fd_);
  ::close(wake_fd_);
  ::close(timer_fd_);
}

void MediaThread::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

void MediaThread::postFor(std::array<SessionId, 2> ids, Task task) {
  post([this, ids, task = std::move(task)]() mutable { runOrPark(ids, std::move(task), false); });
}

void MediaThread::expectLeg(SessionId id) {
  post([this, id] { arriving_[id].emplace_back(); });
}

void MediaThread::runOrPark(std::array<SessionId, 2> ids, Task task, bool oldest) {
  for (SessionId id : ids) {
    if (id == 0 || legs_.contains(id)) {
      continue;
    }
    if (auto it = arriving_.find(id); it != arriving_.end()) {
      auto& waiting = oldest ? it->second.front() : it->second.back();
      waiting.push_back(Parked{ids, std::move(task)});
      return;
    }
  }
  task();
}

void MediaThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) {
    thread_.join();
  }
}

int64_t MediaThread::nowMs() const { return monotonicMicros() / 1000; }

void MediaThread::run() {
  std::array<epoll_event, 64> events;
  for (;;) {
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 100);
    bool wake = false;
    uint64_t ticks = 0;
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &wake_fd_) {
        uint64_t value;
        [[maybe_unused]] auto read = ::read(wake_fd_, &value, sizeof value);
        wake = true;
      } else if (tag == &timer_fd_) {
        [[maybe_unused]] auto read = ::read(timer_fd_, &ticks, sizeof ticks);
      } else {
        onReadable(*static_cast<Leg::SocketTag*>(tag));
      }
    }
    send_->flush();
    // Tasks and ticks run after the batch of events: a task may destroy a leg an event names.
    for (uint64_t i = 0; i < std::min<uint64_t>(ticks, MaxCatchUpTicks); ++i) {
      tick();
    }
    if (wake) {
      runTasks();
      std::lock_guard lock(mutex_);
      if (stopping_) {
        break;
      }
    }
  }
  int64_t now = nowMs();
  for (auto& [id, leg] : legs_) {
    leg->finish(now);
  }
  for (auto& [id, leg] : legs_) {
    unlink(*leg);
  }
  legs_.clear();
}

void MediaThread::runTasks() {
  std::vector<Task> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(tasks_);
  }
  for (Task& task : tasks) {
    task();
  }
}

void MediaThread::onReadable(Leg::SocketTag& tag) {
  Leg& leg = *tag.leg;
  int fd = tag.rtcp ? leg.rtcpFd() : leg.rtpFd();
  int64_t now = nowMs();
  for (;;) {
    std::size_t count = batch_->receive(fd);
    for (std::size_t i = 0; i < count; ++i) {
      UdpAddress source;
      source.storage = batch_->source(i);
      source.length = batch_->sourceLength(i);
      std::size_t size = batch_->datagram(i).size();
      if (size == 0) {
        counters_.unknown_packets.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      leg.onDatagram(batch_->buffer(i), size, source, tag.rtcp, *send_, now);
    }
    send_->flush();
    if (count < DatagramBatch::Capacity) {
      break;
    }
  }
}

void MediaThread::tick() {
  int64_t now = nowMs();
  for (auto& [id, leg] : legs_) {
    leg->tickReceive(now);
  }
  for (auto& [id, leg] : legs_) {
    leg->tickRecord();
  }
  for (auto& [id, conference] : conferences_) {
    conference->mix();
  }
  for (auto& [id, leg] : legs_) {
    leg->tickSend(now);
    leg->tickHousekeeping(now);
  }
}

void MediaThread::addLeg(std::unique_ptr<Leg> leg) {
  addToEpoll(epoll_fd_, leg->rtpFd(), leg->tag(false));
  addToEpoll(epoll_fd_, leg->rtcpFd(), leg->tag(true));
  leg->start(nowMs());
  SessionId id = leg->id();
  legs_[id] = std::move(leg);
}

Leg* MediaThread::findLeg(SessionId id) {
  auto it = legs_.find(id);
  return it == legs_.end() ? nullptr : it->second.get();
}

void MediaThread::unlink(Leg& leg) {
  if (Leg* partner = leg.partner(); partner != nullptr) {
    partner->setPartner(nullptr);
    leg.setPartner(nullptr);
  }
  leaveConference(leg);
  leg.stopRecording();
  for (auto& [id, other] : legs_) {
    if (other.get() != &leg && other->recordingRight() == &leg) {
      other->stopRecording();
    }
  }
}

void MediaThread::removeLeg(SessionId id) {
  auto it = legs_.find(id);
  if (it == legs_.end()) {
    return;
  }
  Leg& leg = *it->second;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, leg.rtpFd(), nullptr);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, leg.rtcpFd(), nullptr);
  leg.finish(nowMs());
  unlink(leg);
  legs_.erase(it);
}

std::unique_ptr<Leg> MediaThread::releaseLeg(SessionId id) {
  auto it = legs_.find(id);
  if (it == legs_.end()) {
    return nullptr;
  }
  std::unique_ptr<Leg> leg = std::move(it->second);
  legs_.erase(it);
  // Datagrams that arrive from now on wait in the socket's buffer for the new thread's epoll.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, leg->rtpFd(), nullptr);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, leg->rtcpFd(), nullptr);
  if (Leg* partner = leg->partner(); partner != nullptr) {
    partner->setPartner(nullptr);
    leg->setPartner(nullptr);
  }
  leaveConference(*leg);
  leg->detachRecordings();
  return leg;
}

void MediaThread::adoptLeg(SessionId id, std::unique_ptr<Leg> leg) {
  if (leg != nullptr) {
    addToEpoll(epoll_fd_, leg->rtpFd(), leg->tag(false));
    addToEpoll(epoll_fd_, leg->rtcpFd(), leg->tag(true));
    legs_[id] = std::move(leg);
    counters_.sessions_moved.store(counters_.sessions_moved.load(std::memory_order_relaxed) + 1,
                                   std::memory_order_relaxed);
  }
  auto it = arriving_.find(id);
  if (it == arriving_.end()) {
    KEFU_BUG("media: a leg arrived unannounced");
    return;
  }
  std::vector<Parked> waiting = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) {
    arriving_.erase(it);
  }
  // In order; a task may send the leg on again, and the ones after it then wait for its return.
  for (Parked& parked : waiting) {
    runOrPark(parked.ids, std::move(parked.task), true);
  }
}

Conference& MediaThread::conference(ConferenceId id) {
  auto& slot = conferences_[id];
  if (!slot) {
    slot = std::make_unique<Conference>(id);
  }
  return *slot;
}

void MediaThread::leaveConference(Leg& leg) {
  Conference* conference = leg.conference();
  if (conference == nullptr) {
    return;
  }
  conference->remove(leg);
  if (conference->empty()) {
    conferences_.erase(conference->id());
  }
}

}  // namespace kefu::media
