#include "hyphae/deadline_queue.hpp"

#include "hyphae/session_host.hpp"

namespace hyphae {

DeadlineQueue::Entry::~Entry() {
    remove(*this);
}

DeadlineQueue::DeadlineQueue(SessionHost& host, std::chrono::milliseconds delay)
    : host_(host), delay_(delay) {}

DeadlineQueue::~DeadlineQueue() {
    while (first_ != nullptr) remove(*first_);
}

void DeadlineQueue::push(Entry& entry) {
    remove(entry);
    entry.queue_ = this;
    entry.due_ = Clock::now() + delay_;
    entry.previous_ = last_;
    entry.next_ = nullptr;
    if (last_ != nullptr) {
        last_->next_ = &entry;
    } else {
        first_ = &entry;
    }
    last_ = &entry;
    // An armed timer fires no later than this deadline (every earlier entry
    // expires first), and re-arms for what is left then.
    if (!timer_) arm(entry.due_);
}

void DeadlineQueue::remove(Entry& entry) {
    DeadlineQueue* queue = entry.queue_;
    if (queue == nullptr) return;
    if (entry.previous_ != nullptr) {
        entry.previous_->next_ = entry.next_;
    } else {
        queue->first_ = entry.next_;
    }
    if (entry.next_ != nullptr) {
        entry.next_->previous_ = entry.previous_;
    } else {
        queue->last_ = entry.previous_;
    }
    entry.queue_ = nullptr;
    entry.previous_ = entry.next_ = nullptr;
    // Otherwise the timer stays armed: firing once for nothing is cheaper
    // than a re-arm per removal.
    if (queue->draining_ && queue->first_ == nullptr) queue->timer_.reset();
}

void DeadlineQueue::drain() {
    draining_ = true;
    if (first_ == nullptr) timer_.reset();
}

void DeadlineQueue::arm(Clock::time_point due) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now());
    timer_ = host_.start_timer(std::max(wait, std::chrono::milliseconds(0)), [this] { expire(); });
}

void DeadlineQueue::expire() {
    // The timer that called this is released last: it holds this callback.
    auto fired = std::move(timer_);
    const auto now = Clock::now();
    while (first_ != nullptr && first_->due_ <= now) {
        Entry& entry = *first_;
        remove(entry);
        // May push or remove entries, this one included.
        entry.on_deadline();
    }
    if (first_ != nullptr && !timer_) arm(first_->due_);
}

void DeadlineQueue::expire_all() {
    timer_.reset();
    while (first_ != nullptr) {
        Entry& entry = *first_;
        remove(entry);
        entry.on_deadline();
    }
    timer_.reset();  // armed again by an entry pushed meanwhile
}

}  // namespace hyphae
