// LD_PRELOAD shim for tools/startup-order: takes every code page of the edgestream executable away (PROT_NONE) and gives
// each back (r-x) on its first touch, so /proc/PID/maps then shows exactly which code pages ran. Reading smaps instead
// would count the neighbours the kernel's fault-around maps with each touched page. Profiling aid, never shipped.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long code_start, code_end;
static struct sigaction next_handler;
static int installed;

static void on_segv(int sig, siginfo_t *info, void *context)
{
    unsigned long address = (unsigned long)info->si_addr;
    if (address >= code_start && address < code_end) {
        mprotect((void *)(address & ~4095UL), 4096, PROT_READ | PROT_EXEC);
        return;
    }
    if (next_handler.sa_flags & SA_SIGINFO) {
        next_handler.sa_sigaction(sig, info, context);
    } else if (next_handler.sa_handler == SIG_DFL || next_handler.sa_handler == SIG_IGN) {
        signal(sig, SIG_DFL);
        raise(sig);
    } else {
        next_handler.sa_handler(sig);
    }
}

// The runtime installs its own SIGSEGV handler (null references), whose code is on the protected pages: a fault in it
// while SIGSEGV is blocked would kill the process. So ours stays first and chains to the runtime's.
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static int (*real)(int, const struct sigaction *, struct sigaction *);
    if (!real) {
        real = dlsym(RTLD_NEXT, "sigaction");
    }
    if (sig == SIGSEGV && installed) {
        if (old) {
            *old = next_handler;
        }
        if (act) {
            next_handler = *act;
        }
        return 0;
    }
    return real(sig, act, old);
}

__attribute__((constructor)) static void protect_code(void)
{
    char exe[4096], line[8192];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        return;
    }
    exe[n] = 0;
    if (!strstr(exe, "edgestream")) {
        return;
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[8], path[4096] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &start, &end, perms, path) >= 3 && strcmp(path, exe) == 0 && perms[2] == 'x') {
            code_start = start;
            code_end = end;
        }
    }
    if (maps) {
        fclose(maps);
    }
    if (!code_start) {
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, &next_handler);
    installed = 1;
    mprotect((void *)code_start, code_end - code_start, PROT_NONE);
}
