#include "hyphae/registry.hpp"

namespace hyphae {

void Registry::add(ConnectionId id, std::shared_ptr<Session> session) {
    if (sessions_.emplace(id, std::move(session)).second) {
        size_.fetch_add(1, std::memory_order_relaxed);
    }
}

std::shared_ptr<Session> Registry::take(ConnectionId id) {
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    auto session = std::move(it->second);
    sessions_.erase(it);
    size_.fetch_sub(1, std::memory_order_relaxed);
    return session;
}

Session* Registry::find(ConnectionId id) const {
    const auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.get();
}

std::vector<std::shared_ptr<Session>> Registry::snapshot() const {
    std::vector<std::shared_ptr<Session>> all;
    all.reserve(sessions_.size());
    for (const auto& entry : sessions_) all.push_back(entry.second);
    return all;
}

}  // namespace hyphae
