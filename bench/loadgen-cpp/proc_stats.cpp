#include "proc_stats.hpp"

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool read_file(const std::string& path, std::string& out) {
  FILE* f = fopen(path.c_str(), "re");
  if (!f) return false;
  out.clear();
  char b[8192];
  size_t r;
  while ((r = fread(b, 1, sizeof b, f)) > 0) out.append(b, r);
  fclose(f);
  return true;
}

}  // namespace

long clk_tck() {
  static long t = sysconf(_SC_CLK_TCK);
  return t > 0 ? t : 100;
}

double stat_cpu_s(const std::string& path, bool& ok) {
  std::string s;
  ok = read_file(path, s);
  if (!ok) return 0;
  size_t rp = s.rfind(')');
  if (rp == std::string::npos) {
    ok = false;
    return 0;
  }
  const char* p = s.c_str() + rp + 2;
  // p is at field 3 (state); utime = field 14, stime = field 15
  unsigned long long ut = 0, st = 0;
  for (int f = 3; f < 14 && *p; f++) {
    p = strchr(p, ' ');
    if (!p) {
      ok = false;
      return 0;
    }
    p++;
  }
  if (sscanf(p, "%llu %llu", &ut, &st) != 2) {
    ok = false;
    return 0;
  }
  return double(ut + st) / double(clk_tck());
}

bool server_cpu(const std::vector<int>& pids, double& total) {
  total = 0;
  for (int pid : pids) {
    bool ok;
    total += stat_cpu_s("/proc/" + std::to_string(pid) + "/stat", ok);
    if (!ok) return false;
  }
  return true;
}

long server_rss_kib(const std::vector<int>& pids) {
  long sum = 0;
  for (int pid : pids) {
    std::string s;
    if (!read_file("/proc/" + std::to_string(pid) + "/status", s)) return -1;
    size_t k = s.find("VmRSS:");
    if (k != std::string::npos) sum += atol(s.c_str() + k + 6);
  }
  return sum;
}

std::map<std::string, CpuTicks> proc_stat() {
  std::map<std::string, CpuTicks> out;
  std::string s;
  if (!read_file("/proc/stat", s)) return out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t e = s.find('\n', pos);
    if (e == std::string::npos) e = s.size();
    std::string line = s.substr(pos, e - pos);
    pos = e + 1;
    if (line.compare(0, 3, "cpu") != 0 || line.size() < 4 || !isdigit(uint8_t(line[3]))) continue;
    char name[32];
    unsigned long long v[10] = {0};
    int k = sscanf(line.c_str(), "%31s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", name, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    if (k < 5) continue;
    CpuTicks t;
    unsigned long long idle = v[3] + v[4];
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    t.softirq = v[6];
    t.total = t.busy + idle;
    out[name] = t;
  }
  return out;
}

std::string loadavg() {
  std::string s;
  if (!read_file("/proc/loadavg", s)) return "";
  int sp = 0;
  for (size_t i = 0; i < s.size(); i++)
    if (s[i] == ' ' && ++sp == 3) return s.substr(0, i);
  return s;
}

double self_cpu_s(double* sys) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double u = double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6;
  double s = double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6;
  if (sys) *sys = s;
  return u + s;
}

std::string allowed_cpus_list() {
  std::string s;
  if (!read_file("/proc/self/status", s)) return "?";
  size_t k = s.find("Cpus_allowed_list:");
  if (k == std::string::npos) return "?";
  k += 18;
  while (k < s.size() && (s[k] == ' ' || s[k] == '\t')) k++;
  size_t e = s.find('\n', k);
  return s.substr(k, e - k);
}

int cpus_allowed_count() {
  cpu_set_t cs;
  int n = 1;
  if (sched_getaffinity(0, sizeof cs, &cs) == 0) n = std::max(1, CPU_COUNT(&cs));
  return n;
}

std::map<int, ProcTimes> other_processes(const std::vector<int>& skip) {
  std::map<int, ProcTimes> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  const int self = int(getpid());
  std::string s;
  while (dirent* e = readdir(d)) {
    if (!isdigit(uint8_t(e->d_name[0]))) continue;
    int pid = atoi(e->d_name);
    if (pid == self || std::find(skip.begin(), skip.end(), pid) != skip.end()) continue;
    if (!read_file(std::string("/proc/") + e->d_name + "/stat", s)) continue;  // gone meanwhile
    size_t rp = s.rfind(')');
    if (rp == std::string::npos || rp + 2 >= s.size()) continue;
    // after the name: field 3 (state), ppid 4 ... utime 14, stime 15, cutime 16, cstime 17, starttime 22
    unsigned long long ut = 0, st = 0, start = 0;
    long long cut = 0, cst = 0;
    int ppid = 0;
    if (sscanf(s.c_str() + rp + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld %*d %*d %*d %*d %llu",
               &ppid, &ut, &st, &cut, &cst, &start) != 6)
      continue;
    out[pid] = {double(ut + st + (unsigned long long)(cut + cst)) / double(clk_tck()), start, ppid};
  }
  closedir(d);
  return out;
}

double other_processes_cpu_s(const std::map<int, ProcTimes>& before, const std::map<int, ProcTimes>& after) {
  return std::max(0.0, processes_cpu_s_raw(before, after));
}

double processes_cpu_s_raw(const std::map<int, ProcTimes>& before, const std::map<int, ProcTimes>& after) {
  double used = 0;
  for (auto& [pid, b] : after) {
    auto it = before.find(pid);
    used += it != before.end() && it->second.start == b.start ? b.cpu_s - it->second.cpu_s : b.cpu_s;
  }
  for (auto& [pid, a] : before) {
    auto it = after.find(pid);
    if (it == after.end() || it->second.start != a.start) used -= a.cpu_s;
  }
  return used;
}

std::map<int, ProcTimes> processes_under(const std::map<int, ProcTimes>& all, const std::vector<int>& pids) {
  std::map<int, std::vector<int>> children;
  for (auto& [pid, p] : all) children[p.ppid].push_back(pid);
  std::map<int, ProcTimes> out;
  std::vector<int> todo(pids.begin(), pids.end());
  while (!todo.empty()) {
    int pid = todo.back();
    todo.pop_back();
    auto it = all.find(pid);
    if (it == all.end() || !out.emplace(pid, it->second).second) continue;
    auto ch = children.find(pid);
    if (ch != children.end()) todo.insert(todo.end(), ch->second.begin(), ch->second.end());
  }
  return out;
}

CpuSample sample_cpu(const std::vector<int>& server_pids, const std::vector<pid_t>& thread_ids,
                     const std::vector<std::vector<int>>& groups) {
  CpuSample s;
  if (!server_pids.empty()) s.srv_ok = server_cpu(server_pids, s.srv);
  s.others = other_processes(server_pids);
  for (const std::vector<int>& g : groups) s.groups.push_back(processes_under(s.others, g));
  s.lg = self_cpu_s(&s.lg_sys);
  s.stat = proc_stat();
  for (pid_t tid : thread_ids) {
    bool ok;
    s.thr.push_back(stat_cpu_s("/proc/self/task/" + std::to_string(tid) + "/stat", ok));
  }
  return s;
}
