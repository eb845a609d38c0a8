#pragma once
// The topic subscriptions of one worker's sessions. Only the owning thread
// changes the table or fans out through it (without locking: it is the only
// writer); other threads may query it, under a shared lock.
#include <cstddef>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "hyphae/connection_id.hpp"

namespace hyphae {

class Session;

class TopicTable {
public:
    struct Subscriber {
        ConnectionId id;
        Session* session;
    };

    // Owner thread. Return whether the table changed.
    bool subscribe(const std::string& topic, ConnectionId id, Session* session);
    bool unsubscribe(const std::string& topic, ConnectionId id);
    // Owner thread: drops every subscription of a closing connection.
    void remove_connection(ConnectionId id);

    // Owner thread, no lock: the subscribers of a topic (may be null).
    const std::vector<Subscriber>* subscribers(const std::string& topic) const;

    // Any thread.
    std::size_t subscriber_count(const std::string& topic) const;
    bool is_subscribed(ConnectionId id, const std::string& topic) const;
    std::vector<std::string> topics_of(ConnectionId id) const;
    std::size_t topic_count() const;
    std::vector<std::string> topic_names() const;
    std::size_t subscription_count() const;

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::vector<Subscriber>> by_topic_;
    std::unordered_map<ConnectionId, std::vector<std::string>> by_connection_;
    std::size_t subscriptions_ = 0;
};

}  // namespace hyphae
