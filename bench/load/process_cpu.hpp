#pragma once
// The server's CPU time over exactly the generator's measuring window, split
// into user and kernel time (all of its threads, from /proc/<pid>/stat). On
// loopback the kernel's share is a floor no server can go below, so the split
// says how much of a figure is the server's own code (BENCHMARKS.md).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace hyphae::load {

struct ProcessCpu {
    double user = 0;    // seconds
    double kernel = 0;  // seconds
};

// Zero when `pid` is 0 or unreadable.
inline ProcessCpu process_cpu(int pid) {
    if (pid == 0) return {};
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(file, line);
    // The command name may hold spaces: the fields start after its ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream fields(line.substr(close + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
    double user_ticks = 0;
    double kernel_ticks = 0;
    fields >> user_ticks >> kernel_ticks;
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return {user_ticks / hz, kernel_ticks / hz};
}

// `,"serverUserUsPerUnit":..,"serverKernelUsPerUnit":..` for a JSON object,
// or nothing without a server pid or units.
inline std::string server_cpu_fields(int pid, const ProcessCpu& before, const ProcessCpu& after,
                                     double units) {
    if (pid == 0 || units <= 0) return "";
    char text[128];
    std::snprintf(text, sizeof text, ",\"serverUserUsPerUnit\":%.3f,\"serverKernelUsPerUnit\":%.3f",
                  (after.user - before.user) * 1e6 / units,
                  (after.kernel - before.kernel) * 1e6 / units);
    return text;
}

}  // namespace hyphae::load
