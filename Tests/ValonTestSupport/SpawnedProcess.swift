import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and a clean signal state.
///
/// Foundation's `Process` passes on the spawning thread's blocked-signal mask, and the
/// test runner's threads block SIGTERM, so a daemon started that way (NSD) never sees
/// the SIGTERM that should stop it. This resets the mask and the default handlers.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var exited = false

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `path` with `arguments`, standard input, output and error on /dev/null.
    public init(_ path: String, _ arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Nothing else of the test process goes along (sockets, other commands' pipes), as
        // UserspaceWireGuard.start does it (Glibc's module lacks addclosefrom_np).
        let inherited = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [])
            .compactMap(Int32.init).filter { $0 > 2 && fcntl($0, F_GETFD) != -1 }
        for descriptor in inherited { posix_spawn_file_actions_addclose(&actions, descriptor) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw Failure(description: "posix_spawn \(path): \(String(cString: strerror(result)))") }
        pid = child
    }

    deinit { terminate() }

    /// Whether the process is still running (reaps it once it has exited).
    public var isRunning: Bool {
        lock.withLock {
            guard !exited else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exited = true }
            return !exited
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited after 5 s; waits for it.
    public func terminate() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where isRunning { usleep(50_000) }
        guard isRunning else { return }
        kill(pid, SIGKILL)
        lock.withLock {
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            exited = true
        }
    }
}
