#pragma once

#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/task.h"
#include "media/engine.h"
#include "media/internal/conference.h"
#include "media/internal/leg.h"
#include "media/internal/thread_counters.h"
#include "media/internal/udp_socket.h"

namespace kefu::media {

/**
 * One media thread: it owns its legs, their sockets and their conferences; it waits on epoll for
 * datagrams, runs a 20 ms tick for terminated audio, and runs the tasks the control side posts.
 * Only post() may be called from other threads; every other method runs on the thread.
 */
class MediaThread {
 public:
  MediaThread(const EngineConfig& config, MediaEngineListener& listener);
  ~MediaThread();
  MediaThread(const MediaThread&) = delete;
  MediaThread& operator=(const MediaThread&) = delete;

  /** Queues `task` to run on the thread. Any thread. */
  void post(Task task);
  /** Stops and joins the thread; legs still open are finished. Any thread but this one. */
  void stop();
  const ThreadCounters& counters() const { return counters_; }

  // On the thread (from posted tasks):
  void addLeg(std::unique_ptr<Leg> leg);
  Leg* findLeg(SessionId id);
  void removeLeg(SessionId id);
  Conference& conference(ConferenceId id);
  void leaveConference(Leg& leg);
  ThreadCounters& mutableCounters() { return counters_; }
  int64_t nowMs() const;

 private:
  void run();
  void runTasks();
  void onReadable(Leg::SocketTag& tag);
  void tick();
  void unlink(Leg& leg);

  // not owned, outlive this
  const EngineConfig& config_;
  MediaEngineListener& listener_;
  // owned
  ThreadCounters counters_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int timer_fd_ = -1;
  std::mutex mutex_;
  std::vector<Task> tasks_;  // guarded by mutex_
  bool stopping_ = false;    // guarded by mutex_
  std::unordered_map<SessionId, std::unique_ptr<Leg>> legs_;
  std::unordered_map<ConferenceId, std::unique_ptr<Conference>> conferences_;
  std::unique_ptr<DatagramBatch> batch_;
  std::unique_ptr<SendBatch> send_;
  std::thread thread_;
};

}  // namespace kefu::media
