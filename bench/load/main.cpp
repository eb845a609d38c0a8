// hyphae_load: a WebSocket load generator (bench/load).
//   hyphae_load echo --port P [--connections N] [--depth D] [--size S] [--binary]
//                    [--path /] [--warmup SEC] [--duration SEC] [--sources K]
// Prints one JSON line: throughput, latency percentiles, errors and the
// generator's own CPU per message. Loopback only; exits by itself.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "echo_client.hpp"

namespace {

using namespace hyphae::load;

struct Arguments {
    std::string mode;
    unsigned port = 0;
    std::size_t connections = 100;
    std::size_t depth = 1;
    std::size_t size = 32;
    bool binary = false;
    std::string path = "/";
    double warmup = 1;
    double duration = 5;
    unsigned sources = 8;
};

Arguments parse(int argc, char** argv) {
    Arguments args;
    if (argc > 1) args.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i];
        const auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (flag == "--port")
            args.port = static_cast<unsigned>(std::stoul(value()));
        else if (flag == "--connections")
            args.connections = std::stoul(value());
        else if (flag == "--depth")
            args.depth = std::stoul(value());
        else if (flag == "--size")
            args.size = std::max<std::size_t>(16, std::stoul(value()));
        else if (flag == "--binary")
            args.binary = true;
        else if (flag == "--path")
            args.path = value();
        else if (flag == "--warmup")
            args.warmup = std::stod(value());
        else if (flag == "--duration")
            args.duration = std::stod(value());
        else if (flag == "--sources")
            args.sources = static_cast<unsigned>(std::stoul(value()));
        else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            std::exit(64);
        }
    }
    if (args.mode != "echo" || args.port == 0) {
        std::fprintf(stderr,
                     "usage: hyphae_load echo --port P [--connections N] [--depth D] [--size S] "
                     "[--binary]\n");
        std::exit(64);
    }
    return args;
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Arguments args = parse(argc, argv);
    raise_open_file_limit();
    net::io_context io(1);
    EchoSettings settings;
    settings.server =
        tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(args.port));
    settings.path = args.path;
    settings.depth = args.depth;
    settings.size = args.size;
    settings.binary = args.binary;
    EchoTotals totals;

    // Connect in waves of 256 so the server's accept queue never overflows.
    std::vector<std::shared_ptr<EchoClient>> clients;
    std::size_t started = 0;
    std::size_t settled = 0;
    std::size_t upgraded = 0;
    std::function<void()> start_next = [&] {
        if (started >= args.connections) return;
        const std::size_t index = started++;
        const std::string source =
            "127.0.0." + std::to_string(1 + index % std::max(1u, args.sources));
        auto client =
            std::make_shared<EchoClient>(io, settings, totals, net::ip::make_address(source));
        clients.push_back(client);
        client->start([&](bool ok) {
            ++settled;
            if (ok) ++upgraded;
            start_next();
        });
    };
    for (std::size_t i = 0; i < std::min<std::size_t>(256, args.connections); ++i) start_next();
    while (settled < args.connections && io.run_one() > 0) {
    }
    if (upgraded < args.connections) {
        std::printf("{\"error\":\"only %zu of %zu connections upgraded\"}\n", upgraded,
                    args.connections);
        return 1;
    }

    for (auto& client : clients) client->begin_load();
    const auto run_for = [&](double seconds) {
        io.restart();
        io.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(seconds)));
    };
    run_for(args.warmup);
    totals.measuring = true;
    const double cpu_before = cpu_seconds();
    const auto started_at = std::chrono::steady_clock::now();
    run_for(args.duration);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
    const double cpu = cpu_seconds() - cpu_before;
    totals.measuring = false;
    totals.sending = false;
    for (auto& client : clients) client->close();

    const double messages = static_cast<double>(totals.messages);
    std::printf(
        "{\"mode\":\"echo\",\"connections\":%zu,\"depth\":%zu,\"size\":%zu,\"binary\":%s,"
        "\"seconds\":%.3f,"
        "\"messages\":%.0f,\"msgsPerSec\":%.0f,\"p50us\":%.0f,\"p99us\":%.0f,\"p999us\":%.0f,"
        "\"errors\":%llu,"
        "\"loadCpuSeconds\":%.3f,\"loadCpuUsPerMsg\":%.3f}\n",
        args.connections, args.depth, args.size, args.binary ? "true" : "false", elapsed, messages,
        messages / elapsed, totals.latency.percentile(0.5), totals.latency.percentile(0.99),
        totals.latency.percentile(0.999), static_cast<unsigned long long>(totals.errors), cpu,
        messages > 0 ? cpu * 1e6 / messages : 0.0);
    return 0;
}
