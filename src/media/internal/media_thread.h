#pragma once

#include <array>
#include <deque>
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
 * Only post(), postFor(), expectLeg() and mutableCounters() (a leg moving here is counted here) may
 * be called from other threads; every other method runs on the thread.
 */
class MediaThread {
 public:
  MediaThread(const EngineConfig& config, MediaEngineListener& listener);
  ~MediaThread();
  MediaThread(const MediaThread&) = delete;
  MediaThread& operator=(const MediaThread&) = delete;

  /** Queues `task` to run on the thread. Any thread. */
  void post(Task task);
  /** Queues `task`, which acts on the sessions `ids` (0: none), to run on the thread once none of
   *  them is on its way here from another thread (see expectLeg). Any thread. */
  void postFor(std::array<SessionId, 2> ids, Task task);
  /** Announces that session `id` moves here: until adoptLeg() brings it, tasks posted with
   *  postFor() for it wait, in order. Any thread; the caller orders it before those tasks. */
  void expectLeg(SessionId id);
  /** Stops and joins the thread; legs still open are finished. Any thread but this one. */
  void stop();
  const ThreadCounters& counters() const { return counters_; }

  // On the thread (from posted tasks):
  void addLeg(std::unique_ptr<Leg> leg);
  Leg* findLeg(SessionId id);
  void removeLeg(SessionId id);
  /** Takes a leg out of this thread for a move: out of epoll and the map, unlinked from its
   *  partner, conference and other legs' recordings; its sockets stay open, nothing is sent.
   *  @return nullptr when the leg is not here. */
  std::unique_ptr<Leg> releaseLeg(SessionId id);
  /** Takes in a leg that releaseLeg() gave up on another thread (nullptr: it was gone there), then
   *  runs the tasks that waited for it. */
  void adoptLeg(SessionId id, std::unique_ptr<Leg> leg);
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
  /** Runs `task` unless one of `ids` is on its way here; then it waits for that leg (in the oldest
   *  pending arrival when `oldest`, else the newest: a fresh task follows every expectLeg()). */
  void runOrPark(std::array<SessionId, 2> ids, Task task, bool oldest);

  /** A task waiting for a leg on its way here. */
  struct Parked {
    std::array<SessionId, 2> ids;
    Task task;
  };

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
  // Legs on their way here, one entry per announced arrival (a leg may leave and come back before
  // the first arrival ran), each with the tasks waiting for it.
  std::unordered_map<SessionId, std::deque<std::vector<Parked>>> arriving_;
  std::unique_ptr<DatagramBatch> batch_;
  std::unique_ptr<SendBatch> send_;
  std::thread thread_;
};

}  // namespace kefu::media
