import Foundation

/// Starts `cfspd` as a child process with posix_spawn, wiring its stdin/stdout as asked.
struct ChildProcess: Sendable {
    /// The child's process id.
    let pid: pid_t

    /// Spawns `executable` with `arguments`; `actions` maps child descriptors to ours (dup2).
    /// `detach` puts the child in its own session so it outlives our terminal.
    static func spawn(
        _ executable: String, _ arguments: [String], descriptors: [(ours: Int32, child: Int32)], detach: Bool
    ) throws(CLIError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (ours, child) in descriptors { posix_spawn_file_actions_adddup2(&actions, ours, child) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if detach { flags |= 0x80 }  // POSIX_SPAWN_SETSID (glibc), not imported into Swift
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw CLIError("cannot start '\(executable)': \(String(cString: strerror(status)))",
                           status: ExitStatus.unavailable)
        }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to exit; returns its exit status (or 128 + signal).
    @discardableResult
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// True while the child has not exited (reaps it if it has).
    func isRunning() -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }
}

/// Makes a pipe; returns (read end, write end), both close-on-exec.
func makePipe() throws(CLIError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
        throw CLIError("cannot create a pipe: \(String(cString: strerror(errno)))", status: ExitStatus.unavailable)
    }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}
