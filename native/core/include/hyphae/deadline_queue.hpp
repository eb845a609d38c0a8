#pragma once
// Deadlines that all lie the same delay after they were set (the handshake
// timeout, the close-handshake wait, the linger after a close), kept in the
// order they were set: the first entry is always the next to expire. One
// host timer serves the whole queue and is armed only when it fires or the
// queue was empty, so setting and clearing a deadline costs two pointer
// updates: no timer object, no allocation and no timerfd re-arm per
// connection (a per-connection asio timer re-armed the timerfd about twice
// per connect/close cycle, BENCHMARKS.md).
#include <chrono>
#include <memory>

namespace hyphae {

class SessionHost;
class HostTimer;

class DeadlineQueue {
public:
    using Clock = std::chrono::steady_clock;

    // Something with a deadline: linked into at most one queue at a time.
    class Entry {
    public:
        bool queued() const { return queue_ != nullptr; }

    protected:
        Entry() = default;
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;
        ~Entry();
        // The deadline passed; the entry has left its queue already.
        virtual void on_deadline() = 0;

    private:
        friend class DeadlineQueue;
        DeadlineQueue* queue_ = nullptr;
        Entry* previous_ = nullptr;
        Entry* next_ = nullptr;
        Clock::time_point due_{};
    };

    DeadlineQueue(SessionHost& host, std::chrono::milliseconds delay);
    ~DeadlineQueue();
    DeadlineQueue(const DeadlineQueue&) = delete;
    DeadlineQueue& operator=(const DeadlineQueue&) = delete;

    std::chrono::milliseconds delay() const { return delay_; }
    bool empty() const { return first_ == nullptr; }
    // Sets `entry`'s deadline to now + delay(), taking it out of the queue
    // it was in first.
    void push(Entry& entry);
    // Clears `entry`'s deadline (nothing when it has none).
    static void remove(Entry& entry);
    // Expires every entry now, due or not (a host closing down).
    void expire_all();
    // From now on the timer is dropped as soon as the queue is empty, so a
    // host that is closing down is not held open by a timer with nothing to
    // expire (normally it stays armed: see remove()).
    void drain();

private:
    void arm(Clock::time_point due);
    void expire();

    SessionHost& host_;
    std::chrono::milliseconds delay_;
    Entry* first_ = nullptr;
    Entry* last_ = nullptr;
    std::unique_ptr<HostTimer> timer_;  // set while armed
    bool draining_ = false;
};

}  // namespace hyphae
