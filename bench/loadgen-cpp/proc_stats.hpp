// What /proc and getrusage say about CPU and memory: the server's (by pid), the load
// generator's own (whole process and per thread), and the machine's (per CPU, load average).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

long clk_tck();

// utime+stime of all threads of a process (or of one thread: /proc/self/task/TID/stat), seconds
double stat_cpu_s(const std::string& path, bool& ok);
// Sum over the server's pids; false when one of them is gone.
bool server_cpu(const std::vector<int>& pids, double& total);
long server_rss_kib(const std::vector<int>& pids);  // -1 when a pid is gone

struct CpuTicks {
  unsigned long long busy = 0, softirq = 0, total = 0;
};
std::map<std::string, CpuTicks> proc_stat();  // per CPU ("cpu0", ...)

std::string loadavg();  // the first three fields of /proc/loadavg
double self_cpu_s(double* sys = nullptr);  // user+system of this process; *sys the system part
std::string allowed_cpus_list();  // Cpus_allowed_list of this process ("?" if unknown)
int cpus_allowed_count();

// One process's CPU: utime+stime+cutime+cstime (seconds; with what its reaped children used)
// and its start time (ticks after boot: tells a reused pid apart).
struct ProcTimes {
  double cpu_s = 0;
  unsigned long long start = 0;
  int ppid = 0;
};
// Every process but this one and `skip` (the server), from /proc/PID/stat. The kernel scales
// these to the scheduler's exact runtime, whereas /proc/stat's per-CPU busy ticks are samples
// (250 Hz here, tickless when idle) that a load with a period of its own (a send every
// millisecond) can alias with, badly in either direction: what other processes used during
// the window is taken from these.
std::map<int, ProcTimes> other_processes(const std::vector<int>& skip);
// CPU seconds the processes used between two such samples: a process that started in between
// counts whole, and one that ended counts through the parent that reaped it (its cutime), minus
// what it had used before the first sample.
double other_processes_cpu_s(const std::map<int, ProcTimes>& before, const std::map<int, ProcTimes>& after);
// The same sum, not clamped at 0 (to subtract one set of processes' share from another's).
double processes_cpu_s_raw(const std::map<int, ProcTimes>& before, const std::map<int, ProcTimes>& after);
// The processes of `all` that are one of `pids` or descend from one (--extra-pid: PostgreSQL's
// postmaster and its backends).
std::map<int, ProcTimes> processes_under(const std::map<int, ProcTimes>& all, const std::vector<int>& pids);

// CPU counters at one instant: taken at both edges of the measured window.
struct CpuSample {
  bool srv_ok = true;
  double srv = 0, lg = 0, lg_sys = 0;
  std::map<std::string, CpuTicks> stat;
  std::map<int, ProcTimes> others;  // every other process
  std::vector<std::map<int, ProcTimes>> groups;  // per --extra-pid group: its processes (also in others)
  std::vector<double> thr;  // per load generator thread, in the order of thread_ids
};
CpuSample sample_cpu(const std::vector<int>& server_pids, const std::vector<pid_t>& thread_ids,
                     const std::vector<std::vector<int>>& groups = {});
