#include "hyphae/session_lists.hpp"

#include "hyphae/session.hpp"

namespace hyphae {

bool SessionLists::defer_write(Session& session) {
    deferred_writes_.push_back(&session);
    return deferred_writes_.size() == 1;
}

void SessionLists::write_deferred() {
    writing_.swap(deferred_writes_);
    for (Session* session : writing_) session->write_deferred();
    writing_.clear();
}

void SessionLists::pause(std::shared_ptr<Session> session) {
    paused_.push_back(std::move(session));
}

void SessionLists::resume_paused() {
    auto paused = std::move(paused_);
    paused_.clear();
    for (const auto& session : paused) session->resume_reading();
}

void SessionLists::forget(ConnectionId id) {
    if (paused_.empty()) return;
    std::erase_if(paused_, [id](const auto& session) { return session->id() == id; });
}

bool SessionLists::keep_finished(std::shared_ptr<Session> session) {
    if (!session) return false;
    finished_.push_back(std::move(session));
    return finished_.size() == 1;
}

void SessionLists::release_finished() {
    write_deferred();
    // A destructor may finish another session: it is kept anew.
    const auto released = std::move(finished_);
    finished_.clear();
}

void SessionLists::drop_paused() {
    paused_.clear();
}

void SessionLists::clear() {
    deferred_writes_.clear();
    paused_.clear();
    finished_.clear();
}

}  // namespace hyphae
