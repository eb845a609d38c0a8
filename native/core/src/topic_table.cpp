#include "hyphae/topic_table.hpp"

#include <algorithm>
#include <mutex>

namespace hyphae {

namespace {

template <class Vector, class Pred>
bool swap_remove(Vector& items, Pred pred) {
    const auto it = std::find_if(items.begin(), items.end(), pred);
    if (it == items.end()) return false;
    *it = std::move(items.back());
    items.pop_back();
    return true;
}

}  // namespace

bool TopicTable::subscribe(const std::string& topic, ConnectionId id, Session* session) {
    std::unique_lock lock(mutex_);
    auto& topics = by_connection_[id];
    if (std::find(topics.begin(), topics.end(), topic) != topics.end()) return false;
    topics.push_back(topic);
    by_topic_[topic].push_back({id, session});
    ++subscriptions_;
    return true;
}

bool TopicTable::unsubscribe(const std::string& topic, ConnectionId id) {
    std::unique_lock lock(mutex_);
    const auto own = by_connection_.find(id);
    if (own == by_connection_.end()) return false;
    if (!swap_remove(own->second, [&](const std::string& t) { return t == topic; })) return false;
    if (own->second.empty()) by_connection_.erase(own);
    const auto entry = by_topic_.find(topic);
    swap_remove(entry->second, [&](const Subscriber& s) { return s.id == id; });
    if (entry->second.empty()) by_topic_.erase(entry);  // empty topics are freed
    --subscriptions_;
    return true;
}

void TopicTable::remove_connection(ConnectionId id) {
    std::unique_lock lock(mutex_);
    const auto own = by_connection_.find(id);
    if (own == by_connection_.end()) return;
    for (const auto& topic : own->second) {
        const auto entry = by_topic_.find(topic);
        swap_remove(entry->second, [&](const Subscriber& s) { return s.id == id; });
        if (entry->second.empty()) by_topic_.erase(entry);
        --subscriptions_;
    }
    by_connection_.erase(own);
}

const std::vector<TopicTable::Subscriber>* TopicTable::subscribers(const std::string& topic) const {
    const auto entry = by_topic_.find(topic);
    return entry == by_topic_.end() ? nullptr : &entry->second;
}

std::size_t TopicTable::subscriber_count(const std::string& topic) const {
    std::shared_lock lock(mutex_);
    const auto entry = by_topic_.find(topic);
    return entry == by_topic_.end() ? 0 : entry->second.size();
}

bool TopicTable::is_subscribed(ConnectionId id, const std::string& topic) const {
    std::shared_lock lock(mutex_);
    const auto own = by_connection_.find(id);
    return own != by_connection_.end() &&
           std::find(own->second.begin(), own->second.end(), topic) != own->second.end();
}

std::vector<std::string> TopicTable::topics_of(ConnectionId id) const {
    std::shared_lock lock(mutex_);
    const auto own = by_connection_.find(id);
    return own == by_connection_.end() ? std::vector<std::string>{} : own->second;
}

std::size_t TopicTable::topic_count() const {
    std::shared_lock lock(mutex_);
    return by_topic_.size();
}

std::vector<std::string> TopicTable::topic_names() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> names;
    names.reserve(by_topic_.size());
    for (const auto& entry : by_topic_) names.push_back(entry.first);
    return names;
}

std::size_t TopicTable::subscription_count() const {
    std::shared_lock lock(mutex_);
    return subscriptions_;
}

}  // namespace hyphae
